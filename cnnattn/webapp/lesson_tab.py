"""The Lesson tab (classroom mode): layout and event wiring only.

The maths is in `cnnattn.lesson`, what is shown in `cnnattn.lesson.view`, the words in `cnnattn.i18n`.
A photo is encoded once; its content hash (`key`) travels with every event, so sliders, clicks and
language switches re-render from the cached features without running the backbone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from cnnattn.analysis import readouts
from cnnattn.heads import HeadId
from cnnattn.i18n import resolve_language, text
from cnnattn.image.loading import load_image
from cnnattn.labels import class_names
from cnnattn.lesson import steps as lesson
from cnnattn.lesson.render import cover_cells, line_plot
from cnnattn.lesson.view import (
    MAX_SIDE,
    TEMPERATURE_RANGE,
    TOP1,
    LessonSettings,
    LessonView,
    Table,
    cell_query,
    compare_images,
    lesson_view,
    link_params,
    parse_params,
)
from cnnattn.pipeline import content_key
from cnnattn.render import COLORMAPS, DEFAULT_COLORMAP, fit_within, overlay

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
# Overlays are sent as JPEG: encoding one takes ~5 ms where gradio's default WebP took ~200 ms here.
SHOWN = "jpeg"
WEBCAM_EVERY_S = 1.0  # one backbone run per second keeps a 2-core server responsive
WEBCAM_LIMIT_S = 120  # a forgotten webcam tab stops streaming after two minutes


def translated(pairs: list[tuple[gr.components.Component, str, str]], language: str, **values) -> list:
    """Updates relabelling components: pairs are (component, i18n key, "label" or "value")."""
    return [gr.update(**{attribute: text(key, language, **values)}) for _, key, attribute in pairs]


def class_options(language: str) -> list[tuple[str, int]]:
    """The lesson's class choices: the top-1 prediction, then every class by index, named in `language`."""
    return [(text("lesson.top1", language), TOP1)] + [(f"{i}: {n}", i) for i, n in enumerate(class_names(language))]


def dataframe(table: Table) -> pd.DataFrame:
    return pd.DataFrame(table.rows, columns=table.headers)


def build_lesson_tab(
    explainer,
    session,
    demo: gr.Blocks,
    language: gr.Radio,
    examples: list[str],
    tabs: gr.Tabs,
    prepare_upload: Callable[[gr.Image], gr.Image] = lambda image: image,
):
    """Lay out the Lesson tab inside the caller's `gr.Tabs()` and wire its events.

    `session` is app.Session (shared encodings cache and output folder), `language` the page's
    language control, `examples` photo paths (named by file stem in links), `tabs` the page's
    gr.Tabs so a shared link can open this tab, `prepare_upload` app.pass_raw_upload (the safe loader).
    """
    heads = [str(head_id) for head_id in lesson.head_ids(explainer.heads)]
    layers = explainer.backbone.layer_names()
    default_temperatures = explainer.temperatures()
    example_paths = {Path(p).stem: p for p in examples}

    def lookup(key: str | None):
        """(photo, encoded) for a key from an earlier upload, never rerunning the backbone."""
        if not key:
            raise gr.Error(text("error.no_photo", "en"))

        def expired():
            raise gr.Error(text("error.expired", "en"))

        return session.encodings.get_or_create(key, expired)

    def view_for(key: str | None, settings):
        """(photo, encoded, view) for a cached photo: what every lesson panel starts from."""
        photo, encoded = lookup(key)
        return photo, encoded, lesson_view(explainer.heads, photo, encoded, settings)

    def head_of(settings: LessonSettings):
        """(head, index within its kind) of the lesson's chosen head."""
        head_id = HeadId.parse(settings.head)
        return lesson.find_head(explainer.heads, head_id), head_id.index

    def encode_file(path: str) -> str:
        """Encode an uploaded or example photo into the shared cache; return its key."""
        try:
            key = content_key(Path(path).read_bytes())
        except OSError as exc:
            raise gr.Error("The uploaded file could not be read; please upload it again.") from exc
        session.encode(path)  # same key scheme as app.Session: content hash of the file's bytes
        return key

    def settings_of(
        head, temperature, query_x, query_y, colormap, opacity, shared, share, top_k, class_index, layer, lang
    ):
        settings = LessonSettings(
            head,
            float(temperature),
            (float(query_x), float(query_y)),
            colormap,
            float(opacity),
            bool(shared),
            float(share),
            int(top_k),
            lang,
            TOP1 if class_index is None else int(class_index),
            layer or lesson.FINAL,
        )
        try:
            return settings.checked(heads)
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc

    def outputs_of(view: LessonView, settings: LessonSettings, example: str | None):
        first, second = view.images
        step2_label = text("lesson.step2_image", settings.language, share=settings.share)
        return (
            view.head_text,
            view.step_texts[0],
            gr.Image(first, alt_text=view.summary, format=SHOWN),
            dataframe(view.scores),
            view.step_texts[1],
            gr.Image(second, alt_text=view.summary, label=step2_label, format=SHOWN),
            dataframe(view.weights),
            view.cell_text,
            view.readout_text,
            view.step_texts[2],
            dataframe(view.step3),
            f"?{link_params(settings, example)}",  # the browser prefixes its own address (js below)
        )

    def render(
        key: str,
        head: str,
        temperature: float,
        query_x: float,
        query_y: float,
        colormap: str,
        opacity: float,
        shared_scale: bool,
        share: float,
        top_k: float,
        class_index: int,
        layer: str,
        language: str,
        example: str | None = None,
    ):
        """Re-render every lesson panel from the cached features of `key` (no backbone run)."""
        controls = (head, temperature, query_x, query_y, colormap, opacity, shared_scale, share, top_k, class_index)
        controls += (layer, language)
        settings = settings_of(*controls)
        photo, encoded = lookup(key)
        return outputs_of(lesson_view(explainer.heads, photo, encoded, settings), settings, example)

    def render_if_photo(key: str, *values):
        if not key:
            return tuple(gr.skip() for _ in view_outputs)
        return render(key, *values)

    def load_photo(
        path: str | None,
        head: str,
        temperature: float,
        query_x: float,
        query_y: float,
        colormap: str,
        opacity: float,
        shared_scale: bool,
        share: float,
        top_k: float,
        class_index: int,
        layer: str,
        language: str,
        example: str | None = None,
    ):
        """A new photo: encode it (the only backbone run), then render; the example is cleared."""
        if path is None:
            raise gr.Error(text("error.no_photo", "en"))
        key = encode_file(path)
        controls = (head, temperature, query_x, query_y, colormap, opacity, shared_scale, share, top_k, class_index)
        controls += (layer, language)
        return (key, None, *render(key, *controls, None))

    def load_example(name: str | None, *values):
        if not name:
            return tuple(gr.skip() for _ in range(2 + len(view_outputs)))
        if name not in example_paths:
            raise gr.Error(f"Unknown example {name!r}; choose one of {', '.join(example_paths)}.")
        key = encode_file(example_paths[name])
        return (example_paths[name], key, *render(key, *values[:-1], name))

    def choose_cell(key: str, head: str, layer: str, event: gr.SelectData):
        """A click on a table cell: the first column holds row labels, the others are grid columns."""
        photo, encoded = lookup(key)
        try:
            chosen = lesson.find_head(explainer.heads, HeadId.parse(head))
            h, w = encoded.layer((layer or lesson.FINAL) if chosen.layers else lesson.FINAL).shape[-2:]
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc
        row, col = event.index
        if col < 1:
            return gr.skip(), gr.skip()
        return cell_query(int(row), int(col) - 1, (h, w))

    def choose_point(key: str, event: gr.SelectData):
        """A click on a lesson image (drawn at fit_within(photo) size): its position as fractions."""
        photo, _ = lookup(key)
        width, height = fit_within(photo, MAX_SIDE).size
        x, y = event.index
        return min(max(x / width, 0.0), 1.0), min(max(y / height, 0.0), 1.0)

    def reset_temperature(head: str) -> float:
        return default_temperatures.get(head.partition("/")[0], 1.0)

    def relabel(lang: str, chosen: int | None):
        return (*translated(labelled, lang), gr.Dropdown(choices=class_options(lang), value=chosen))

    def gradcam(
        key: str,
        head: str,
        temperature: float,
        query_x: float,
        query_y: float,
        colormap: str,
        opacity: float,
        shared_scale: bool,
        share: float,
        top_k: float,
        class_index: int,
        layer: str,
        language: str,
    ):
        """The head's weights beside Grad-CAM of the backbone for the same class, with agreement scores."""
        controls = (head, temperature, query_x, query_y, colormap, opacity, shared_scale, share, top_k, class_index)
        controls += (layer, language)
        settings = replace(settings_of(*controls), layer=lesson.FINAL)  # Grad-CAM's grid is the last map
        photo, encoded, view = view_for(key, settings)
        cam = session.pipeline.gradcam(photo, view.class_index)
        k = min(settings.top_k, cam.size)
        agreement = text(
            "gradcam.agreement",
            settings.language,
            label=class_names(settings.language)[view.class_index],
            rho=readouts.spearman(view.weights_grid, cam),
            k=k,
            overlap=readouts.top_k_overlap(view.weights_grid, cam, k),
        )
        left, right = compare_images(photo, [view.weights_grid, cam], settings)
        return left, gr.Image(right, label=text("lesson.gradcam", settings.language), format=SHOWN), agreement

    def sanity(
        key: str,
        head: str,
        temperature: float,
        query_x: float,
        query_y: float,
        colormap: str,
        opacity: float,
        shared_scale: bool,
        share: float,
        top_k: float,
        class_index: int,
        layer: str,
        language: str,
    ):
        """The same head with weights replaced by noise of the same scale, beside the real one."""
        controls = (head, temperature, query_x, query_y, colormap, opacity, shared_scale, share, top_k, class_index)
        controls += (layer, language)
        settings = settings_of(*controls)
        photo, encoded, view = view_for(key, settings)
        chosen, index = head_of(settings)
        class_index = view.class_index if chosen.class_conditional else None
        random = lesson.randomised_weights(
            chosen, index, encoded, settings.temperature, class_index, settings.query, settings.layer
        )
        rho = readouts.spearman(view.weights_grid, random)
        left, right = compare_images(photo, [view.weights_grid, random], settings)
        label = text("lesson.sanity_image", settings.language)
        return left, gr.Image(right, label=label, format=SHOWN), text("sanity.result", settings.language, rho=rho)

    def occlude(
        key: str,
        head: str,
        temperature: float,
        query_x: float,
        query_y: float,
        colormap: str,
        opacity: float,
        shared_scale: bool,
        share: float,
        top_k: float,
        class_index: int,
        layer: str,
        language: str,
        cover: float = 0.5,
    ):
        """Cover the smallest region holding `cover` of the weight; predict and map again."""
        controls = (head, temperature, query_x, query_y, colormap, opacity, shared_scale, share, top_k, class_index)
        controls += (layer, language)
        settings = replace(settings_of(*controls), layer=lesson.FINAL)  # occlusion works on the last map's grid
        photo, encoded, view = view_for(key, settings)
        mask = readouts.smallest_region(view.weights_grid, float(cover))
        class_map = explainer.head("class")
        result = session.pipeline.occlusion(photo, mask)
        after = result.encoded.logits.float().softmax(dim=-1)[0].cpu().numpy()
        before = encoded.logits.float().softmax(dim=-1)[0].cpu().numpy()
        new_map = lesson.pooling_lesson(class_map, 0, result.encoded, None, view.class_index).weights
        names = class_names(settings.language)
        covered = cover_cells(photo, mask)
        (image,) = compare_images(covered, [new_map], settings)
        top = int(after.argmax())
        message = text(
            "occlusion.result",
            settings.language,
            cells=int(mask.sum()),
            n=mask.size,
            share=float(cover),
            label=names[view.class_index],
            before=before[view.class_index],
            after=after[view.class_index],
            top=names[top],
            top_prob=after[top],
        )
        return image, message

    def deletion(
        key: str,
        head: str,
        temperature: float,
        query_x: float,
        query_y: float,
        colormap: str,
        opacity: float,
        shared_scale: bool,
        share: float,
        top_k: float,
        class_index: int,
        layer: str,
        language: str,
    ):
        """Class probability as cells are covered, most-attended first, against a random order."""
        controls = (head, temperature, query_x, query_y, colormap, opacity, shared_scale, share, top_k, class_index)
        controls += (layer, language)
        settings = replace(settings_of(*controls), layer=lesson.FINAL)  # deletion works on the last map's grid
        photo, encoded, view = view_for(key, settings)
        curve = session.pipeline.deletion_curve(photo, view.weights_grid, view.class_index)
        lang, label = settings.language, class_names(settings.language)[view.class_index]
        return line_plot(
            curve.fractions,
            [
                (curve.attention, text("deletion.attention", lang, area=curve.attention_area)),
                (curve.random, text("deletion.random", lang, area=curve.random_area)),
            ],
            text("deletion.title", lang),
            text("deletion.x", lang),
            text("deletion.y", lang, label=label),
        )

    def live_frame(frame: np.ndarray | None, colormap: str, opacity: float):
        """One webcam frame: backbone + class map at the default temperature (runs every second)."""
        if frame is None:
            return gr.skip(), gr.skip()
        photo = fit_within(load_image(Image.fromarray(frame)), 512)
        encoded = explainer.encode(photo)
        weights = lesson.pooling_lesson(explainer.head("class"), 0, encoded).weights
        return overlay(photo, weights, colormap, opacity), frame

    def freeze(frame: np.ndarray | None, *values):
        """Keep the last webcam frame as the lesson's photo (a PNG in the session's output folder)."""
        if frame is None:
            raise gr.Error(text("error.no_frame", values[-2]))
        folder = session.output_dir / "frames"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{uuid.uuid4().hex}.png"
        Image.fromarray(frame).save(path)
        key = encode_file(str(path))
        return (str(path), key, None, *render(key, *values[:-1], None))

    def restore(browser_language: str, request: gr.Request):
        """On page load: language from the link or the browser; settings and example from the link."""
        params = dict(request.query_params) if request else {}
        base = LessonSettings(language=resolve_language(browser_language))
        settings, example = parse_params(params, base, heads, list(example_paths), layers, default_temperatures)
        wants_lesson = params.get("view") == "lesson" or example is not None
        return (
            settings.language,
            example,
            settings.head,
            settings.temperature,
            settings.query[0],
            settings.query[1],
            settings.colormap,
            settings.opacity,
            settings.shared_scale,
            settings.share,
            settings.top_k,
            settings.class_index,
            settings.layer,
            gr.Tabs(selected="lesson") if wants_lesson else gr.skip(),
        )

    defaults = LessonSettings()
    with gr.Tab(text("tab.lesson", "en"), id="lesson", elem_id="lesson-tab") as tab:
        intro = gr.Markdown(text("lesson.intro", "en"))
        key = gr.Textbox(visible=False, elem_id="lesson-key")  # content hash of the photo being studied
        browser_language = gr.Textbox(visible=False)  # navigator.language, filled on page load
        with gr.Row():
            with gr.Column(scale=1):
                photo = prepare_upload(
                    gr.Image(
                        label=text("lesson.photo", "en"),
                        type="filepath",
                        sources=["upload", "clipboard"],
                        elem_id="lesson-photo",
                        height=260,
                    )
                )
                example = gr.Dropdown(
                    list(example_paths), value=None, label=text("lesson.example", "en"), elem_id="lesson-example"
                )
                with gr.Accordion(text("lesson.webcam", "en"), open=False) as webcam_box:
                    webcam = gr.Image(
                        sources=["webcam"],
                        streaming=True,
                        type="numpy",
                        label=text("lesson.webcam_in", "en"),
                        elem_id="lesson-webcam",
                    )
                    live = gr.Image(label=text("lesson.webcam_live", "en"), elem_id="lesson-live", format=SHOWN)
                    last_frame = gr.State(None)
                    freeze_button = gr.Button(text("lesson.freeze", "en"), elem_id="lesson-freeze")
                head = gr.Dropdown(heads, value=defaults.head, label=text("lesson.head", "en"), elem_id="lesson-head")
                temperature = gr.Slider(
                    *TEMPERATURE_RANGE,
                    value=defaults.temperature,
                    step=0.05,
                    label=text("lesson.temperature", "en"),
                    elem_id="lesson-temperature",
                )
                with gr.Row():
                    query_x = gr.Slider(
                        0, 1, defaults.query[0], step=0.01, label=text("lesson.query_x", "en"), elem_id="lesson-qx"
                    )
                    query_y = gr.Slider(
                        0, 1, defaults.query[1], step=0.01, label=text("lesson.query_y", "en"), elem_id="lesson-qy"
                    )
                colormap = gr.Dropdown(list(COLORMAPS), value=DEFAULT_COLORMAP, label=text("lesson.colormap", "en"))
                opacity = gr.Slider(0, 1, defaults.opacity, step=0.05, label=text("lesson.opacity", "en"))
                shared = gr.Checkbox(defaults.shared_scale, label=text("lesson.shared_scale", "en"))
                share = gr.Slider(0.05, 1, defaults.share, step=0.05, label=text("lesson.share", "en"))
                top_k = gr.Slider(1, 20, defaults.top_k, step=1, label=text("lesson.top_k", "en"))
                class_choice = gr.Dropdown(
                    class_options("en"),
                    value=defaults.class_index,
                    label=text("lesson.class", "en"),
                    elem_id="lesson-class",
                )
                layer = gr.Dropdown(
                    layers, value=defaults.layer, label=text("lesson.layer", "en"), elem_id="lesson-layer"
                )
                link = gr.Textbox(label=text("lesson.link", "en"), elem_id="lesson-link", buttons=["copy"])
            with gr.Column(scale=2):
                head_md = gr.Markdown(latex_delimiters=LATEX, elem_id="lesson-head-text")
                step1_md = gr.Markdown(latex_delimiters=LATEX, elem_id="lesson-step1")
                with gr.Row():
                    step1_image = gr.Image(
                        label=text("lesson.step1_image", "en"),
                        elem_id="lesson-step1-image",
                        interactive=False,
                        format=SHOWN,
                    )
                    step2_image = gr.Image(
                        label=text("lesson.step2_image", "en", share=defaults.share),
                        elem_id="lesson-step2-image",
                        interactive=False,
                        format=SHOWN,
                    )
                scores = gr.Dataframe(
                    label=text("lesson.scores_table", "en"), elem_id="lesson-scores", interactive=False
                )
                step2_md = gr.Markdown(latex_delimiters=LATEX, elem_id="lesson-step2")
                weights = gr.Dataframe(
                    label=text("lesson.weights_table", "en"), elem_id="lesson-weights", interactive=False
                )
                cell_md = gr.Markdown(latex_delimiters=LATEX, elem_id="lesson-cell")
                readout_md = gr.Markdown(latex_delimiters=LATEX, elem_id="lesson-readout")
                step3_md = gr.Markdown(latex_delimiters=LATEX, elem_id="lesson-step3")
                step3 = gr.Dataframe(
                    label=text("lesson.step3_table", "en"), elem_id="lesson-step3-table", interactive=False
                )
                with gr.Accordion(text("lesson.compare", "en"), open=False) as compare_box:
                    with gr.Row():
                        gradcam_button = gr.Button(text("lesson.gradcam_run", "en"), elem_id="lesson-gradcam-run")
                        sanity_button = gr.Button(text("lesson.sanity_run", "en"), elem_id="lesson-sanity-run")
                    with gr.Row():
                        compare_left = gr.Image(
                            label=text("lesson.step2_image", "en", share=defaults.share),
                            interactive=False,
                            format=SHOWN,
                        )
                        compare_right = gr.Image(
                            label=text("lesson.gradcam", "en"),
                            interactive=False,
                            elem_id="lesson-compare",
                            format=SHOWN,
                        )
                    compare_md = gr.Markdown(elem_id="lesson-compare-text")
                with gr.Accordion(text("lesson.occlusion", "en"), open=False) as occlusion_box:
                    cover = gr.Slider(
                        0.05, 0.95, 0.5, step=0.05, label=text("lesson.occlude_share", "en"), elem_id="lesson-cover"
                    )
                    with gr.Row():
                        occlude_button = gr.Button(text("lesson.occlude_run", "en"), elem_id="lesson-occlude-run")
                        deletion_button = gr.Button(text("lesson.deletion_run", "en"), elem_id="lesson-deletion-run")
                    with gr.Row():
                        occluded = gr.Image(label=text("lesson.occluded_image", "en"), interactive=False, format=SHOWN)
                        curve = gr.Image(
                            label=text("lesson.deletion_image", "en"), interactive=False, elem_id="lesson-deletion"
                        )
                    occlusion_md = gr.Markdown(elem_id="lesson-occlusion-text")

    labelled = [
        (tab, "tab.lesson", "label"),
        (intro, "lesson.intro", "value"),
        (photo, "lesson.photo", "label"),
        (example, "lesson.example", "label"),
        (webcam_box, "lesson.webcam", "label"),
        (webcam, "lesson.webcam_in", "label"),
        (live, "lesson.webcam_live", "label"),
        (freeze_button, "lesson.freeze", "value"),
        (head, "lesson.head", "label"),
        (temperature, "lesson.temperature", "label"),
        (query_x, "lesson.query_x", "label"),
        (query_y, "lesson.query_y", "label"),
        (colormap, "lesson.colormap", "label"),
        (opacity, "lesson.opacity", "label"),
        (shared, "lesson.shared_scale", "label"),
        (share, "lesson.share", "label"),
        (top_k, "lesson.top_k", "label"),
        (class_choice, "lesson.class", "label"),
        (layer, "lesson.layer", "label"),
        (link, "lesson.link", "label"),
        (step1_image, "lesson.step1_image", "label"),
        (scores, "lesson.scores_table", "label"),
        (weights, "lesson.weights_table", "label"),
        (step3, "lesson.step3_table", "label"),
        (compare_box, "lesson.compare", "label"),
        (gradcam_button, "lesson.gradcam_run", "value"),
        (sanity_button, "lesson.sanity_run", "value"),
        (occlusion_box, "lesson.occlusion", "label"),
        (cover, "lesson.occlude_share", "label"),
        (occlude_button, "lesson.occlude_run", "value"),
        (deletion_button, "lesson.deletion_run", "value"),
        (occluded, "lesson.occluded_image", "label"),
        (curve, "lesson.deletion_image", "label"),
    ]
    controls = [
        head,
        temperature,
        query_x,
        query_y,
        colormap,
        opacity,
        shared,
        share,
        top_k,
        class_choice,
        layer,
        language,
    ]
    view_outputs = [
        head_md,
        step1_md,
        step1_image,
        scores,
        step2_md,
        step2_image,
        weights,
        cell_md,
        readout_md,
        step3_md,
        step3,
        link,
    ]
    settings_inputs = [*controls, example]

    photo.upload(load_photo, [photo, *settings_inputs], [key, example, *view_outputs], api_name="lesson")
    example.input(load_example, [example, *settings_inputs], [photo, key, *view_outputs], api_name=False)
    rerender = dict(fn=render_if_photo, inputs=[key, *settings_inputs], outputs=view_outputs, api_name=False)
    # The slider's event is public: scripts (and the benchmark) re-render by key, with no file transfer.
    temperature.release(render, [key, *settings_inputs], view_outputs, api_name="lesson_render")
    head.input(reset_temperature, head, temperature, api_name=False, queue=False).then(**rerender)
    for control in (query_x, query_y, opacity, share, top_k):
        control.release(**rerender)
    for control in (colormap, shared, class_choice, layer):
        control.input(**rerender)
    for table in (scores, weights):
        table.select(choose_cell, [key, head, layer], [query_x, query_y], api_name=False).then(**rerender)
    for image in (step1_image, step2_image):
        image.select(choose_point, key, [query_x, query_y], api_name=False).then(**rerender)
    link.change(
        None, link, link, js="(q) => q.startsWith('?') ? location.origin + location.pathname + q : q", api_name=False
    )
    relabelled = [*(c for c, _, _ in labelled), class_choice]
    language.change(relabel, [language, class_choice], relabelled, api_name=False, queue=False).then(**rerender)

    compare_inputs = [key, *controls]
    gradcam_button.click(gradcam, compare_inputs, [compare_left, compare_right, compare_md], api_name="lesson_gradcam")
    sanity_button.click(sanity, compare_inputs, [compare_left, compare_right, compare_md], api_name="lesson_sanity")
    occlude_button.click(occlude, [*compare_inputs, cover], [occluded, occlusion_md], api_name="lesson_occlude")
    deletion_button.click(deletion, compare_inputs, curve, api_name="lesson_deletion")

    webcam.stream(
        live_frame,
        [webcam, colormap, opacity],
        [live, last_frame],
        stream_every=WEBCAM_EVERY_S,
        time_limit=WEBCAM_LIMIT_S,
        concurrency_limit=1,
        api_name=False,
    )
    freeze_button.click(freeze, [last_frame, *settings_inputs], [photo, key, example, *view_outputs], api_name=False)

    restored = [language, example, head, temperature, query_x, query_y, colormap, opacity, shared, share, top_k]
    restored += [class_choice, layer]
    demo.load(
        restore,
        browser_language,
        [*restored, tabs],
        api_name=False,
        js="() => navigator.language || 'en'",
        queue=False,
    ).then(load_example, [example, *settings_inputs], [photo, key, *view_outputs], api_name=False)
    return tab
