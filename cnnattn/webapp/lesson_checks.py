"""The Lesson tab's requests that run the backbone again or read the photo's encoding: the texts of the
three steps (and the block the browser writes them from), the Grad-CAM reference, the sanity check,
occlusion, the deletion curve and the webcam. Every backbone pass goes through the Pipeline; errors
through the one adapter (`user_errors`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from cnnattn.analysis import readouts
from cnnattn.analysis.comparison import compare
from cnnattn.analysis.sanity import sanity_check
from cnnattn.errors import UserError
from cnnattn.heads import HeadId
from cnnattn.i18n import text
from cnnattn.labels import class_names
from cnnattn.lesson import steps
from cnnattn.lesson.block import lesson_block
from cnnattn.lesson.checks import (
    comparison_text,
    deletion_caption,
    deletion_explanation,
    occlusion_explanation,
    sanity_text,
)
from cnnattn.lesson.figures import cover_cells, line_plot
from cnnattn.lesson.links import link_note, link_params
from cnnattn.lesson.settings import LessonSettings
from cnnattn.lesson.tables import Table
from cnnattn.lesson.view import LessonView, compare_images, lesson_view
from cnnattn.names import layer_name
from cnnattn.payload import encode_array, photo_entry
from cnnattn.pipeline import Pipeline
from cnnattn.render import fit_within, overlay
from cnnattn.webapp.errors import user_errors
from cnnattn.webapp.explore import read_upload
from cnnattn.webapp.lesson_api import with_settings
from cnnattn.webapp.view import attention_view

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
SHOWN = "jpeg"  # server-drawn results (occlusion, deletion, webcam) travel as JPEG: ~5 ms to encode


def dataframe(table: Table) -> dict:
    """A lesson table as gr.Dataframe's value, rows and columns counted from 1 as the library labels them."""
    return {"headers": table.headers, "data": table.rows}


@dataclass(frozen=True)
class Studied:
    """A photo being studied, with the chosen head and the view of the three steps."""

    photo: Image.Image
    encoded: object
    head: object
    index: int
    view: LessonView


class LessonChecks:
    """Handlers on one Pipeline, and the checks' own components and wiring; LessonTab adds the rest of the
    layout and wiring."""

    def _render_checks(self) -> None:
        def image(key: str, elem_id: str) -> gr.Image:  # gradio's image is a button named by its alt text
            return gr.Image(label=text(key), alt_text=text(key), interactive=False, elem_id=elem_id)

        with gr.Accordion(text("lesson.compare"), open=False, elem_id="lesson-compare-box") as self.compare_box:
            with gr.Row():
                self.gradcam_button = gr.Button(text("lesson.gradcam_run"), elem_id="lesson-gradcam-run")
                self.sanity_button = gr.Button(text("lesson.sanity_run"), elem_id="lesson-sanity-run")
            self.compare_view = attention_view("compare", {}, elem_id="lesson-compare", fixed_temperature=True)
            self.compare_md = gr.Markdown(elem_id="lesson-compare-text", latex_delimiters=LATEX)
        with gr.Accordion(text("lesson.occlusion"), open=False, elem_id="lesson-occlusion-box") as self.occlusion_box:
            self.cover = gr.Slider(
                0.05, 0.95, 0.5, step=0.05, label=text("lesson.occlude_share"), elem_id="lesson-cover"
            )
            with gr.Row():
                self.occlude_button = gr.Button(text("lesson.occlude_run"), elem_id="lesson-occlude-run")
                self.deletion_button = gr.Button(text("lesson.deletion_run"), elem_id="lesson-deletion-run")
            self.occluded = image("lesson.occluded_image", "lesson-occluded")
            self.occlusion_md = gr.Markdown(elem_id="lesson-occlusion-text")
            self.curve = image("lesson.deletion_image", "lesson-deletion")
            self.deletion_md = gr.Markdown(elem_id="lesson-deletion-text")

    def _wire_checks(self, settings: list, read: dict) -> None:
        compared = [self.compare_view, self.compare_md]
        checks = [self.image, *settings]
        self.gradcam_button.click(
            user_errors(with_settings(self.reference)), checks, compared, api_name="lesson_gradcam", **read
        )
        self.sanity_button.click(
            user_errors(with_settings(self.sanity)), checks, compared, api_name="lesson_sanity", **read
        )
        self.occlude_button.click(
            user_errors(with_settings(self.occlude)),
            [self.image, self.cover, *settings],
            [self.occluded, self.occlusion_md],
            api_name="lesson_occlude",
            **read,
        )
        deletion = user_errors(with_settings(self.deletion))
        self.deletion_button.click(deletion, checks, [self.curve, self.deletion_md], api_name="lesson_deletion", **read)

    pipeline: Pipeline
    examples: dict[str, str]
    output_dir: Path

    @property
    def explainer(self):
        return self.pipeline.explainer

    def heads(self) -> list[str]:
        return [str(head_id) for head_id in steps.head_ids(self.explainer.heads)]

    def study(self, image: str | None, settings: LessonSettings) -> Studied:
        """Encode (cached by content: one backbone pass per photo) and build the lesson's view."""
        _, photo, encoded = self.pipeline.encode(read_upload(image))
        settings = settings.checked(self.heads())
        head_id = HeadId.parse(settings.head)
        head = steps.find_head(self.explainer.heads, head_id)
        calibration = self.explainer.calibration_temperature
        view = lesson_view(self.explainer.heads, photo, encoded, settings, calibration_temperature=calibration)
        return Studied(photo, encoded, head, head_id.index, view)

    def texts(self, image: str | None, example: str | None, settings: LessonSettings) -> tuple:
        """The steps' texts and tables for the settings the view shows (no backbone pass once encoded)."""
        studied = self.study(image, settings)
        view, head = studied.view, studied.head
        link = f"?{link_params(settings, example)}"  # the browser prefixes its own address
        note = link_note(example, settings.language)
        return (
            view.head_text,
            view.step_texts[0],
            gr.Dataframe(dataframe(view.scores), label=view.scores.title),
            view.step_texts[1],
            gr.Dataframe(dataframe(view.weights), label=view.weights.title),
            view.cell_text,
            view.readout_text,
            view.step_texts[2],
            gr.Dataframe(dataframe(view.step3), label=view.step3.title),
            link,
            note,
            gr.update(visible=bool(head.layers)),  # the layer only to heads that run on earlier stages
        )

    def browser_texts(self, image: str | None, example: str | None, settings: LessonSettings) -> dict:
        """payload["lesson"]: what the browser needs to write these texts itself for any head, temperature
        and query (static/lesson/), so the view's controls send no request."""
        _, _, encoded = self.pipeline.encode(read_upload(image))
        settings = settings.checked(self.heads())
        calibration = self.explainer.calibration_temperature
        return lesson_block(self.explainer.heads, encoded, settings, example, calibration)

    def reference(self, image: str | None, settings: LessonSettings) -> tuple[dict, str]:
        """The head's map beside Grad-CAM at an earlier stage (not built from the head's scores)."""
        studied = self.study(image, settings)
        view, language = studied.view, settings.language
        layer, cam = self.pipeline.reference_map(studied.photo, view.class_index)
        comparison = compare(studied.head, view.weights_grid, cam, layer, settings.top_k)
        reference_name = text("lesson.reference", language, layer=layer_name(self.explainer.backbone, layer, language))
        maps = [(view.head_name, view.weights_grid), (reference_name, comparison.reference)]
        message = comparison_text(comparison, studied.head, view.class_label, language)
        return maps_payload(studied.photo, maps, language), message

    def sanity(self, image: str | None, settings: LessonSettings) -> tuple[dict, str]:
        """The same head with its weights replaced by noise of the same scale, and the verdict."""
        studied = self.study(image, settings)
        view, head = studied.view, studied.head
        class_index = view.class_index if head.class_conditional else None
        layer = settings.layer if head.layers else steps.FINAL
        shown = steps.MapSettings(settings.temperature, class_index, settings.query, layer)
        random = steps.randomised_weights(head, studied.index, studied.encoded, shown)
        check = sanity_check(view.weights_grid, random, head.kind)
        random_name = text("lesson.sanity_image", settings.language)
        maps = [(view.head_name, view.weights_grid), (random_name, random)]
        return maps_payload(studied.photo, maps, settings.language), sanity_text(check, settings.language)

    def occlude(self, image: str | None, cover: float, settings: LessonSettings):
        """Cover the smallest region holding `cover` of the head's weight; predict and map again."""
        studied = self.study(image, replace(settings, layer=steps.FINAL))  # occlusion works on the last map
        view, language = studied.view, settings.language
        mask = readouts.smallest_region(view.weights_grid, float(cover))
        result = self.pipeline.occlusion(studied.photo, mask)
        after = result.encoded.logits.float().softmax(dim=-1)[0].cpu().numpy()
        before = studied.encoded.logits.float().softmax(dim=-1)[0].cpu().numpy()
        class_map = self.explainer.head("class")
        new_map = steps.pooling_lesson(class_map, 0, result.encoded, None, view.class_index).weights
        (picture,) = compare_images(cover_cells(studied.photo, mask), [new_map], settings)
        names, top = class_names(language), int(after.argmax())
        label = names[view.class_index]
        message = text(
            "occlusion.result",
            language,
            cells=int(mask.sum()),
            n=mask.size,
            share=float(cover),
            label=label,
            before=before[view.class_index],
            after=after[view.class_index],
            top=names[top],
            top_prob=after[top],
        )
        message += " " + occlusion_explanation(before[view.class_index], after[view.class_index], label, language)
        return gr.Image(picture, format=SHOWN), message

    def deletion(self, image: str | None, settings: LessonSettings):
        """Class probability as cells are covered, most-attended first, against a random order."""
        studied = self.study(image, replace(settings, layer=steps.FINAL))
        view, language = studied.view, settings.language
        curve = self.pipeline.deletion_curve(studied.photo, view.weights_grid, view.class_index)
        plot = line_plot(
            curve.fractions,
            [
                (curve.attention, text("deletion.attention", language, area=curve.attention_area)),
                (curve.random, text("deletion.random", language, area=curve.random_area)),
            ],
            text("deletion.title", language),
            text("deletion.x", language),
            text("deletion.y", language, label=view.class_label),
        )
        caption = f"{deletion_caption(view.class_label, language)} {deletion_explanation(curve, language)}"
        return gr.Image(plot, format=SHOWN), caption

    def live_frame(self, frame: str | None, language: str = "en"):
        """One webcam frame (a path, as uploads) through the Pipeline (safe loader, one backbone pass): the
        class map over it."""
        if frame is None:
            return gr.skip(), gr.skip()
        _, photo, encoded = self.pipeline.encode_frame(read_upload(frame))
        weights = steps.pooling_lesson(self.explainer.head("class"), 0, encoded).weights
        return gr.Image(overlay(fit_within(photo, 512), weights), format=SHOWN), frame

    def freeze(self, frame: str | None, language: str = "en") -> str:
        """Keep the last webcam frame as the lesson's photo (a copy in the outputs folder: gradio sweeps its
        own); the photo's handler checks it with the safe loader."""
        if frame is None:
            raise UserError("error.no_frame")
        folder = self.output_dir / "frames"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / uuid.uuid4().hex
        path.write_bytes(read_upload(frame))
        return str(path)


def maps_payload(photo: Image.Image, maps: list[tuple[str, np.ndarray]], language: str) -> dict:
    """A payload for the attention view holding finished maps side by side: log-weights as position scores
    at T = 1, so the view's softmax gives each map back exactly."""
    entries = []
    for number, (name, weights) in enumerate(maps):
        grid = np.asarray(weights, dtype=np.float64)
        scores = np.log(np.maximum(grid / grid.sum(), 1e-30))
        entries.append(
            {
                "kind": f"map{number}",
                "form": "position",
                "ids": [f"map{number}"],
                "names": [name],
                "default_temperature": 1.0,
                "class_conditional": False,
                "layer": steps.FINAL,
                "grid": list(grid.shape),
                "shape": [1, *grid.shape],
                "scores": encode_array(scores),
            }
        )
    return {"photo": photo_entry(photo), "heads": entries, "language": language, "class_label": ""}
