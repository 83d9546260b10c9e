"""The Explore tab: one request per photo (or class, or language) returns the payload; the attention
view draws every map in the browser, and downloads are built on request as shown."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from cnnattn.errors import UserError
from cnnattn.i18n import has, text
from cnnattn.image.loading import MAX_FILE_BYTES
from cnnattn.labels import class_names
from cnnattn.pipeline import Pipeline, SingleFlightCache, content_key
from cnnattn.render.outputs import sweep
from cnnattn.webapp.downloads import ViewSettings, explain_as_shown, write_downloads
from cnnattn.webapp.errors import CLEAR_REFUSED, as_notice, user_errors
from cnnattn.webapp.gradio_internals import raw_upload_image
from cnnattn.webapp.view import attention_view

TOP1 = -1  # class_index meaning "the top-1 predicted class"
OUTPUT_MAX_AGE_S = 60  # gradio serves its own copy of every returned file, so ours only need to outlive the request
# The view's settings as JSON, read from the page when a download is asked for (no other request needs them).
# Answers to a photo run this many at a time: a cached photo's payload is cheap, so a class sending the same
# photo is not queued behind one model pass; the pipeline still encodes each photo once (single flight).
EXPLAIN_CONCURRENCY = 4
READ_SETTINGS = (
    "(image, settings, ...rest) => [image, JSON.stringify(window.cnnattn.view('explore').settings()), ...rest]"
)


def class_options(language: str) -> list[tuple[str, int]]:
    return [(text("explore.top1", language), TOP1)] + [(f"{i}: {n}", i) for i, n in enumerate(class_names(language))]


def example_name(path: str, language: str = "en") -> str:
    """The example button's text: "grace_hopper.jpg" -> "grace hopper" (or its translation)."""
    stem = Path(path).stem
    return text(f"example.{stem}", language) if has(f"example.{stem}") else stem.replace("_", " ")


def read_upload(image: str | None) -> bytes:
    if image is None:
        raise UserError("error.no_photo")
    try:
        with open(image, "rb") as file:
            return file.read(MAX_FILE_BYTES + 1)  # bounded: the loader refuses anything larger by its size
    except OSError as exc:
        raise UserError("error.unreadable") from exc


def checked_class(class_index: int | None) -> int | None:
    if class_index is None or int(class_index) == TOP1:
        return None
    if not 0 <= int(class_index) < len(class_names("en")):
        raise UserError("error.bad_class")
    return int(class_index)


class ExploreTab:
    """Components are attributes; `render()` lays them out, `wire()` attaches the handlers."""

    def __init__(self, pipeline: Pipeline, examples: list[str], output_dir: Path):
        self.pipeline = pipeline
        self.examples = examples
        self.output_dir = output_dir
        self.payloads: SingleFlightCache[dict] = SingleFlightCache(capacity=32)  # by photo, class and language

    @property
    def explainer(self):
        return self.pipeline.explainer

    def render(self) -> gr.Tab:
        with gr.Tab(text("tab.explore"), id="explore", elem_id="explore-tab") as self.tab:
            self.intro = gr.Markdown(text("explore.intro", "en", backbone=self.explainer.backbone.name))
            with gr.Row():
                with gr.Column(scale=1, min_width=280):
                    self.image = raw_upload_image(
                        label=text("explore.photo"), type="filepath", sources=["upload", "webcam", "clipboard"],
                        elem_id="photo",
                    )  # fmt: skip
                    self.notice = gr.Markdown(elem_id="explore-notice")  # a refused photo, in one sentence
                    self.run = gr.Button(text("explore.run"), variant="primary", elem_id="explain")
                    self.examples_box = gr.Examples(  # named, so each example button has a text (axe: button-name)
                        self.examples,
                        inputs=self.image,
                        example_labels=[example_name(p) for p in self.examples],
                        label=text("explore.examples"),
                    )
                    self.class_choice = gr.Dropdown(
                        class_options("en"), value=TOP1, label=text("explore.class"), elem_id="explore-class"
                    )
                    # Answers to a photo carry the class as one number: an event's 1000-entry list is copied by the
                    # page item by item at every loading-status change (about 6,000 copies per answer).
                    self.class_index = gr.Number(TOP1, visible=False)
                    self.predictions = gr.Label(
                        num_top_classes=5, label=text("explore.predictions"), elem_id="predictions"
                    )
                    self.notes = gr.Markdown(elem_id="notes")
                with gr.Column(scale=3, min_width=300):
                    self.view = attention_view("explore", self.explainer.temperatures(), elem_id="maps")
                    self.settings = gr.Textbox("{}", visible=False)  # filled from the view when a download is asked for
                    self.download_button = gr.Button(text("explore.download"), elem_id="explore-download")
                    self.downloads = gr.File(  # hidden while empty (theme.PAGE_CSS)
                        label=text("explore.downloads"), file_count="multiple", elem_id="downloads"
                    )
        return self.tab

    def relabelled(self) -> list[tuple[gr.components.Component, str, str]]:
        """(component, i18n key, attribute) pairs a language switch updates."""
        pairs = [(self.tab, "tab.explore", "label"), (self.run, "explore.run", "value")]
        pairs += [(self.image, "explore.photo", "label"), (self.predictions, "explore.predictions", "label")]
        pairs += [(self.download_button, "explore.download", "value"), (self.downloads, "explore.downloads", "label")]
        return pairs

    def wire(self, language: gr.Radio) -> None:
        self.class_choice.change(None, self.class_choice, self.class_index, js="(chosen) => chosen", api_name=False)
        answered = [self.predictions, self.view, self.notes]
        # One concurrency group for every answer to a photo, whichever control asked for it.
        answer = dict(fn=self.explain, inputs=[self.image, self.class_index, language], outputs=answered)
        answer |= dict(concurrency_limit=EXPLAIN_CONCURRENCY, concurrency_id="explain")
        self.api_button = gr.Button(visible=False)  # the public endpoint raises; the page shows a notice
        self.api_button.click(**answer, api_name="explain")
        # The page's photo paths. `input` fires once per upload, webcam shot, paste or clear (gradio's `change`
        # fires twice when a photo replaces another); an example fills the photo without it, hence its own event.
        cleared = (None, None, "")  # a refused photo: the top-5, the maps and the notes go (the photo: CLEAR_REFUSED)
        shown = dict(answer, fn=as_notice(self.explain_if_photo, cleared), api_name=False)
        shown["outputs"] = [self.notice, *answered]
        clear = dict(fn=None, inputs=self.notice, outputs=self.image, js=CLEAR_REFUSED, api_name=False)
        self.run.click(**dict(shown, fn=as_notice(self.explain, cleared))).then(**clear)  # no photo: say so
        self.image.input(**shown).then(**clear)
        self.examples_box.load_input_event.then(**shown)
        chosen = dict(answer, inputs=[self.image, self.class_choice, language])
        self.class_choice.input(**dict(chosen, fn=self.explain_if_photo), api_name=False)
        relabel = dict(inputs=[language, self.class_choice], outputs=self.class_choice, api_name=False, queue=False)
        language.change(self.relabel_examples, language, self.examples_box.dataset, api_name=False, queue=False)
        language.change(self.relabel, **relabel).then(**shown)
        self.download_button.click(
            self.download,
            [self.image, self.settings, self.class_index, language],
            self.downloads,
            js=READ_SETTINGS,
            api_name="explain_download",
        )

    @user_errors
    def explain(self, image: str | None, class_index: int = TOP1, language: str = "en"):
        """The payload of a photo (display JPEG, top-5, every head's map inputs), its top-5 and notes."""
        data, chosen = read_upload(image), checked_class(class_index)
        payload = self.payloads.get_or_create(
            f"{content_key(data)}|{chosen}|{language}",
            lambda: self.pipeline.payload(data, class_index=chosen, language=language),
        )
        payload = payload | {"language": language, "class_label": class_names(language)[payload["class_index"]]}
        predictions = {p["label"]: p["prob"] for p in payload["predictions"]}
        notes = [payload["calibration"], *payload["notes"], *self.explainer.notes_text(language)]
        notes = "\n".join(f"- {note}" for note in notes)
        return predictions, payload, notes

    def explain_if_photo(self, image: str | None, class_index: int = TOP1, language: str = "en"):
        """Photo changes, class and language choices answer only when there is a photo; clearing clears."""
        if image is None:
            return None, None, ""
        return self.explain(image, class_index, language)

    @user_errors
    def download(self, image: str | None, settings: str = "{}", class_index: int = TOP1, language: str = "en"):
        """Overlay PNGs, weights.json, weights.npy and a zip of them, for the settings the view shows."""
        data = read_upload(image)
        view = ViewSettings.from_json(settings)
        shown, explanation = explain_as_shown(self.pipeline, data, view, checked_class(class_index), language)
        sweep(self.output_dir, OUTPUT_MAX_AGE_S)
        return [str(p) for p in write_downloads(self.output_dir, shown, explanation, view, Path(image).name)]

    def relabel_examples(self, language: str):
        names = [example_name(p, language) for p in self.examples]
        return gr.Dataset(label=text("explore.examples", language), sample_labels=names)

    def relabel(self, language: str, class_index: int = TOP1):
        choices = class_options(language)
        return gr.Dropdown(choices=choices, value=class_index, label=text("explore.class", language))
