"""The Lesson's checks, as gradio components and handlers: the Grad-CAM reference, the sanity check,
occlusion and the deletion curve. Each studies the photo through `LessonAnswers` (one backbone pass per
photo, the Pipeline's cache) and runs what it measures through the Pipeline; their words are
`cnnattn.lesson.check_words`, errors go through the one adapter (`user_errors`)."""

from __future__ import annotations

from dataclasses import replace

import gradio as gr
import numpy as np
from PIL import Image

from cnnattn.analysis import readouts
from cnnattn.analysis.comparison import compare
from cnnattn.analysis.sanity import sanity_check
from cnnattn.i18n import text
from cnnattn.labels import class_names
from cnnattn.lesson import steps
from cnnattn.lesson.answer import compare_images
from cnnattn.lesson.check_words import (
    comparison_text,
    deletion_caption,
    deletion_explanation,
    occlusion_explanation,
    sanity_text,
)
from cnnattn.lesson.figures import cover_cells, line_plot
from cnnattn.lesson.settings import LessonSettings
from cnnattn.names import layer_name
from cnnattn.payload import encode_array, photo_entry
from cnnattn.webapp.errors import user_errors
from cnnattn.webapp.lesson_answers import SHOWN, LessonAnswers
from cnnattn.webapp.lesson_api import with_settings
from cnnattn.webapp.view import attention_view

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]


class LessonCheckHandlers:
    """The checks' components (`render`, inside the tab's layout), their events (`wire`) and handlers."""

    def __init__(self, answers: LessonAnswers):
        self.answers = answers
        self.pipeline = answers.pipeline

    def render(self) -> None:
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

    def relabelled(self) -> list[tuple[gr.components.Component, str, str]]:
        """(component, i18n key, attribute) pairs a language switch updates."""
        pairs = [(self.compare_box, "lesson.compare", "label"), (self.gradcam_button, "lesson.gradcam_run", "value")]
        pairs += [(self.sanity_button, "lesson.sanity_run", "value"), (self.occlusion_box, "lesson.occlusion", "label")]
        pairs += [(self.cover, "lesson.occlude_share", "label"), (self.occlude_button, "lesson.occlude_run", "value")]
        pairs += [(self.deletion_button, "lesson.deletion_run", "value")]
        pairs += [(self.occluded, "lesson.occluded_image", "label alt_text")]
        return pairs + [(self.curve, "lesson.deletion_image", "label alt_text")]

    def wire(self, image: gr.components.Component, settings: list, read: dict) -> None:
        """`settings`: the tab's settings inputs (the event's last inputs); `read`: the js that fills them."""
        compared = [self.compare_view, self.compare_md]
        checks = [image, *settings]
        self.gradcam_button.click(
            user_errors(with_settings(self.reference)), checks, compared, api_name="lesson_gradcam", **read
        )
        self.sanity_button.click(
            user_errors(with_settings(self.sanity)), checks, compared, api_name="lesson_sanity", **read
        )
        self.occlude_button.click(
            user_errors(with_settings(self.occlude)),
            [image, self.cover, *settings],
            [self.occluded, self.occlusion_md],
            api_name="lesson_occlude",
            **read,
        )
        deletion = user_errors(with_settings(self.deletion))
        self.deletion_button.click(deletion, checks, [self.curve, self.deletion_md], api_name="lesson_deletion", **read)

    @property
    def explainer(self):
        return self.pipeline.explainer

    def reference(self, image: str | None, settings: LessonSettings) -> tuple[dict, str]:
        """The head's map beside Grad-CAM at an earlier stage (not built from the head's scores)."""
        studied = self.answers.study(image, settings)
        answer, language = studied.answer, settings.language
        layer, cam = self.pipeline.reference_map(studied.photo, answer.class_index)
        comparison = compare(studied.head, answer.weights_grid, cam, layer, settings.top_k)
        reference_name = text("lesson.reference", language, layer=layer_name(self.explainer.backbone, layer, language))
        maps = [(answer.head_name, answer.weights_grid), (reference_name, comparison.reference)]
        message = comparison_text(comparison, studied.head, answer.class_label, language)
        return maps_payload(studied.photo, maps, language), message

    def sanity(self, image: str | None, settings: LessonSettings) -> tuple[dict, str]:
        """The same head with its weights replaced by noise of the same scale, and the verdict."""
        studied = self.answers.study(image, settings)
        answer, head = studied.answer, studied.head
        class_index = answer.class_index if head.class_conditional else None
        layer = settings.layer if head.layers else steps.FINAL
        shown = steps.MapSettings(settings.temperature, class_index, settings.query, layer)
        random = steps.randomised_weights(head, studied.index, studied.encoded, shown)
        check = sanity_check(answer.weights_grid, random, head.kind)
        random_name = text("lesson.sanity_image", settings.language)
        maps = [(answer.head_name, answer.weights_grid), (random_name, random)]
        return maps_payload(studied.photo, maps, settings.language), sanity_text(check, settings.language)

    def occlude(self, image: str | None, cover: float, settings: LessonSettings):
        """Cover the smallest region holding `cover` of the head's weight; predict and map again."""
        studied = self.answers.study(image, replace(settings, layer=steps.FINAL))  # occlusion works on the last map
        answer, language = studied.answer, settings.language
        mask = readouts.smallest_region(answer.weights_grid, float(cover))
        result = self.pipeline.occlusion(studied.photo, mask)
        after = result.encoded.logits.float().softmax(dim=-1)[0].cpu().numpy()
        before = studied.encoded.logits.float().softmax(dim=-1)[0].cpu().numpy()
        class_map = self.explainer.head("class")
        new_map = steps.pooling_lesson(class_map, 0, result.encoded, None, answer.class_index).weights
        (picture,) = compare_images(cover_cells(studied.photo, mask), [new_map], settings)
        names, top = class_names(language), int(after.argmax())
        label = names[answer.class_index]
        message = text(
            "occlusion.result",
            language,
            cells=int(mask.sum()),
            n=mask.size,
            share=float(cover),
            label=label,
            before=before[answer.class_index],
            after=after[answer.class_index],
            top=names[top],
            top_prob=after[top],
        )
        message += " " + occlusion_explanation(before[answer.class_index], after[answer.class_index], label, language)
        return gr.Image(picture, format=SHOWN), message

    def deletion(self, image: str | None, settings: LessonSettings):
        """Class probability as cells are covered, most-attended first, against a random order."""
        studied = self.answers.study(image, replace(settings, layer=steps.FINAL))
        answer, language = studied.answer, settings.language
        curve = self.pipeline.deletion_curve(studied.photo, answer.weights_grid, answer.class_index)
        plot = line_plot(
            curve.fractions,
            [
                (curve.attention, text("deletion.attention", language, area=curve.attention_area)),
                (curve.random, text("deletion.random", language, area=curve.random_area)),
            ],
            text("deletion.title", language),
            text("deletion.x", language),
            text("deletion.y", language, label=answer.class_label),
        )
        caption = f"{deletion_caption(answer.class_label, language)} {deletion_explanation(curve, language)}"
        return gr.Image(plot, format=SHOWN), caption


def maps_payload(photo: Image.Image, maps: list[tuple[str, np.ndarray]], language: str) -> dict:
    """A payload for the attention answer holding finished maps side by side: log-weights as position scores
    at T = 1, so the answer's softmax gives each map back exactly."""
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
