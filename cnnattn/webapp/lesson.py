"""The Lesson tab (classroom mode): the photo's payload drawn by the same browser view as Explore, one
head at a time, beside the texts and tables of the three steps. Head, temperature, query, colormap and
opacity live in the view: the map, and the step texts and tables (static/lesson/, from the payload's lesson
block), follow them in the browser with no request; a new photo, class or layer and the check buttons ask
the server."""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

from cnnattn.i18n import resolve_language, text
from cnnattn.labels import class_names
from cnnattn.lesson.links import parse_params
from cnnattn.lesson.settings import TOP1, LessonSettings
from cnnattn.webapp.errors import CLEAR_REFUSED, as_notice, user_errors
from cnnattn.webapp.explore import example_name, read_upload
from cnnattn.webapp.gradio_internals import raw_upload_image
from cnnattn.webapp.lesson_api import PARAMETERS, READ_SETTINGS, with_settings
from cnnattn.webapp.lesson_checks import LATEX, LessonChecks
from cnnattn.webapp.scripts import START_LESSON_TEXTS
from cnnattn.webapp.view import attention_view

WEBCAM_EVERY_S = 1.0  # one backbone pass per second keeps a 2-core server responsive
WEBCAM_LIMIT_S = 120  # a forgotten webcam tab stops streaming after two minutes
PREFIX_LINK = "(q) => q.startsWith('?') ? location.origin + location.pathname + q : q"
ANSWERED = 14  # outputs of a new photo: the photo or example, the view's payload and 12 texts (LessonChecks.texts)
GUESSING = "(on) => { window.cnnattn.view('lesson').setGuessing(on); return on; }"
# A link that asks for the lesson opens its tab in the browser: a server event with the tabs as an output
# would make gradio's page copy every component of the app on each later loading-status change.
OPEN_TAB = "(tab) => tab ? { __type__: 'update', selected: tab } : undefined"


def class_options(language: str) -> list[tuple[str, int]]:
    return [(text("lesson.top1", language), TOP1)] + [(f"{i}: {n}", i) for i, n in enumerate(class_names(language))]


class LessonTab(LessonChecks):
    """Components are attributes; `render()` lays them out, `wire()` attaches the handlers."""

    def __init__(self, pipeline, examples: list[str], output_dir: Path):
        self.pipeline = pipeline
        self.examples = {Path(p).stem: p for p in examples}
        self.output_dir = output_dir

    def render(self) -> gr.Tab:
        defaults = LessonSettings()
        with gr.Tab(text("tab.lesson"), id="lesson", elem_id="lesson-tab") as self.tab:
            self.intro = gr.Markdown(text("lesson.intro"))
            self.order = gr.Markdown(text("lesson.order"), elem_id="lesson-order")
            with gr.Row():
                with gr.Column(scale=1, min_width=280):
                    self._render_inputs(defaults)
                with gr.Column(scale=2, min_width=300):
                    self._render_steps()
                    self._render_checks()
        return self.tab

    def _render_inputs(self, defaults: LessonSettings) -> None:
        self.image = raw_upload_image(
            label=text("lesson.photo"),
            type="filepath",
            sources=["upload", "clipboard"],
            elem_id="lesson-photo",
            height=260,
        )
        self.notice = gr.Markdown(elem_id="lesson-notice")
        self.example = gr.Dropdown(
            self.example_choices("en"), value=None, label=text("lesson.example"), elem_id="lesson-example"
        )
        self.class_choice = gr.Dropdown(
            class_options("en"), value=TOP1, label=text("lesson.class"), elem_id="lesson-class"
        )  # shown for the class map only, by the page's style (static/lesson/gradio.js), never as an event's output
        self.class_index = gr.Number(TOP1, visible=False)  # events read the class as one number (see ExploreTab)
        layers = list(self.explainer.backbone.layer_names())
        self.layer = gr.Dropdown(
            layers, value=defaults.layer, label=text("lesson.layer"), elem_id="lesson-layer", visible=False
        )
        self.guess_mode = gr.Checkbox(False, label=text("lesson.guess_mode"), elem_id="lesson-guess-mode")
        with gr.Accordion(text("lesson.webcam"), open=False) as self.webcam_box:
            self.webcam = raw_upload_image(  # frames reach the safe loader as they come, like uploads
                sources=["webcam"],
                streaming=True,
                type="filepath",
                label=text("lesson.webcam_in"),
                elem_id="lesson-webcam",
            )
            self.live = gr.Image(label=text("lesson.webcam_live"), elem_id="lesson-live", interactive=False)
            self.last_frame = gr.State(None)
            self.freeze_button = gr.Button(text("lesson.freeze"), elem_id="lesson-freeze")
        self.link = gr.Textbox(label=text("lesson.link"), elem_id="lesson-link", buttons=["copy"])
        self.link_note = gr.Markdown(elem_id="lesson-link-note")
        self.browser_language = gr.Textbox(visible=False)  # navigator.language, filled on page load
        self.opened = gr.Textbox(visible=False)  # "lesson" when the page's link asks for this tab
        self.linked_example = gr.Textbox(visible=False)  # the example a link asks for (restore sets it)
        # The view's settings travel in these when the page asks the server (READ_SETTINGS fills them).
        self.hidden = {
            name: gr.Textbox(str(default), visible=False)
            if isinstance(default, str)
            else gr.Checkbox(default, visible=False)
            if isinstance(default, bool)
            else gr.Number(default, visible=False)
            for name, default in PARAMETERS.items()
            if name not in ("class_index", "layer", "language")
        }

    def _render_steps(self) -> None:
        markdown = dict(latex_delimiters=LATEX)
        self.head_md = gr.Markdown(elem_id="lesson-head-text", **markdown)
        self.view = attention_view(
            "lesson", self.explainer.temperatures(), elem_id="lesson-view", single_head=True, notify=True
        )
        self.guess_md = gr.Markdown(elem_id="lesson-guess")
        self.step1_md = gr.Markdown(elem_id="lesson-step1", **markdown)
        self.scores = gr.Dataframe(label=text("lesson.scores_table"), elem_id="lesson-scores", interactive=False)
        self.step2_md = gr.Markdown(elem_id="lesson-step2", **markdown)
        self.weights = gr.Dataframe(label=text("lesson.weights_table"), elem_id="lesson-weights", interactive=False)
        self.cell_md = gr.Markdown(elem_id="lesson-cell", **markdown)
        self.readout_md = gr.Markdown(elem_id="lesson-readout", **markdown)
        self.step3_md = gr.Markdown(elem_id="lesson-step3", **markdown)
        self.step3 = gr.Dataframe(label=text("lesson.step3_table"), elem_id="lesson-step3-table", interactive=False)

    def relabelled(self) -> list[tuple[gr.components.Component, str, str]]:
        """(component, i18n key, attribute) pairs a language switch updates."""
        pairs = [(self.tab, "tab.lesson", "label"), (self.intro, "lesson.intro", "value")]
        pairs += [(self.order, "lesson.order", "value"), (self.image, "lesson.photo", "label")]
        pairs += [(self.layer, "lesson.layer", "label")]  # the example list: relabel_examples
        pairs += [(self.guess_mode, "lesson.guess_mode", "label"), (self.webcam_box, "lesson.webcam", "label")]
        pairs += [(self.webcam, "lesson.webcam_in", "label"), (self.live, "lesson.webcam_live", "label")]
        pairs += [(self.freeze_button, "lesson.freeze", "value"), (self.link, "lesson.link", "label")]
        pairs += [(self.compare_box, "lesson.compare", "label"), (self.gradcam_button, "lesson.gradcam_run", "value")]
        pairs += [(self.sanity_button, "lesson.sanity_run", "value"), (self.occlusion_box, "lesson.occlusion", "label")]
        pairs += [(self.cover, "lesson.occlude_share", "label"), (self.occlude_button, "lesson.occlude_run", "value")]
        pairs += [(self.deletion_button, "lesson.deletion_run", "value")]
        pairs += [(self.scores, "lesson.scores_table", "label"), (self.weights, "lesson.weights_table", "label")]
        pairs += [(self.step3, "lesson.step3_table", "label")]
        pairs += [(self.occluded, "lesson.occluded_image", "label alt_text")]
        pairs += [(self.curve, "lesson.deletion_image", "label alt_text")]
        return pairs

    def wire(self, demo: gr.Blocks, language: gr.Radio, tabs: gr.Tabs) -> None:
        settings = [*self.hidden.values(), self.class_index, self.layer, language]
        texts = [self.head_md, self.step1_md, self.scores, self.step2_md, self.weights, self.cell_md]
        texts += [self.readout_md, self.step3_md, self.step3, self.link, self.link_note, self.layer]
        answered = [self.view, *texts]
        read = dict(js=READ_SETTINGS)
        photo = user_errors(with_settings(self.photo))
        # The public endpoint raises; the page's upload shows a refused file as one sentence instead.
        self.api_button = gr.Button(visible=False)
        self.api_button.click(photo, [self.image, *settings], [self.example, *answered], api_name="lesson")
        cleared = (None, None, *self.blank_answer())  # a refused photo: the photo, the example and the answer go
        clear = dict(fn=None, inputs=self.notice, outputs=self.image, js=CLEAR_REFUSED, api_name=False)
        self.image.upload(
            as_notice(photo, cleared[1:]),
            [self.image, *settings],
            [self.notice, self.example, *answered],
            api_name=False,
            **read,
        ).then(**clear)
        # An example the visitor picks (`input`: not when a photo clears the list), or one a link asks for.
        example = as_notice(user_errors(with_settings(self.example_photo)), cleared[1:])
        shown = dict(outputs=[self.notice, self.image, *answered], api_name=False, **read)
        self.example.input(example, [self.example, *settings], **shown)
        self.linked_example.change(example, [self.linked_example, *settings], **shown)
        self.view.change(None, None, self.guess_md, js="() => ''", api_name=False)  # a new answer: no old verdict
        answer = dict(fn=user_errors(with_settings(self.answer_if_photo)), inputs=[self.image, self.example, *settings])
        answer |= dict(outputs=answered, api_name=False, **read)
        self.class_choice.change(None, self.class_choice, self.class_index, js="(chosen) => chosen", api_name=False)
        chosen = [self.image, self.example, *settings[:-3], self.class_choice, *settings[-2:]]
        self.class_choice.input(**dict(answer, inputs=chosen))
        self.layer.input(**answer)
        # The view's head, temperature and query: texts written in the browser, no request (js only).
        self.view.input(None, None, texts, js="() => window.cnnattnLessonTexts.outputs()", api_name=False)
        reveal = "() => window.cnnattnLessonTexts.outputs(true)"  # predict, then reveal: the guess scored too
        self.view.select(None, None, [*texts, self.guess_md], js=reveal, api_name=False)
        # The same texts for scripts, from the server (the page never calls it).
        self.render_button = gr.Button(visible=False)
        render = user_errors(with_settings(self.texts))
        self.render_button.click(render, [self.image, self.example, *settings], texts, api_name="lesson_render")
        self.guess_mode.change(None, self.guess_mode, self.guess_mode, js=GUESSING, api_name=False)
        self.link.change(None, self.link, self.link, js=PREFIX_LINK, api_name=False)
        language.change(
            self.relabel, [language, self.class_choice], self.class_choice, api_name=False, queue=False
        ).then(**answer)
        language.change(self.relabel_examples, [language, self.example], self.example, api_name=False, queue=False)
        self._wire_checks(settings, read)
        self._wire_webcam(language, settings, answered, read)
        # The step texts and tables written in the browser (static/lesson/).
        demo.load(None, None, None, js=START_LESSON_TEXTS, api_name=False)
        # The example last: its change event reads the settings when it is set, so the link's must be in place.
        restored = [language, self.class_choice, self.class_index, self.layer, *self.hidden.values(), self.opened]
        restored += [self.example, self.linked_example]
        load = dict(api_name=False, queue=False, js="() => navigator.language || 'en'")
        loaded = demo.load(self.restore, self.browser_language, restored, **load)
        loaded.then(None, self.opened, tabs, js=OPEN_TAB, api_name=False)

    def _wire_webcam(self, language: gr.Radio, settings: list, answered: list, read: dict) -> None:
        self.webcam.stream(
            user_errors(self.live_frame),
            [self.webcam, language],
            [self.live, self.last_frame],
            stream_every=WEBCAM_EVERY_S,
            time_limit=WEBCAM_LIMIT_S,
            concurrency_limit=1,
            api_name=False,
        )
        photo = as_notice(user_errors(with_settings(self.photo)), (None, *self.blank_answer()))
        outputs = [self.notice, self.example, *answered]
        self.freeze_button.click(
            user_errors(self.freeze), [self.last_frame, language], self.image, api_name=False
        ).then(photo, [self.image, *settings], outputs, api_name=False, **read)

    # Handlers: each takes the photo's path and one LessonSettings (with_settings builds it).

    def photo(self, image: str | None, settings: LessonSettings) -> tuple:
        """A new photo (upload or frozen frame): its payload and the steps' texts; the example is cleared."""
        return (None, *self.answer(image, None, settings))

    def example_photo(self, name: str | None, settings: LessonSettings) -> tuple:
        if name not in self.examples:  # cleared, or a name the list does not offer: keep the page as it is
            return (gr.skip(),) * ANSWERED
        path = self.examples[name]
        return (path, *self.answer(path, name, settings))

    @staticmethod
    def blank_answer() -> tuple:
        """The view and the 12 texts with nothing in them (a refused photo leaves no earlier answer up)."""
        blank_table = None
        texts = ("", "", blank_table, "", blank_table, "", "", "", blank_table, "", "", gr.skip())
        return (None, *texts)

    def answer(self, image: str | None, example: str | None, settings: LessonSettings) -> tuple:
        """The payload for the view (cached encoding: one backbone pass per photo) and the texts."""
        chosen = None if settings.class_index == TOP1 else settings.class_index
        payload = self.pipeline.payload(
            read_upload(image), class_index=chosen, layer=settings.layer, language=settings.language
        )
        shown = {name: getattr(settings, name) for name in ("head", "temperature", "colormap", "opacity")}
        shown["query"] = list(settings.query)
        label = class_names(settings.language)[payload["class_index"]]
        payload |= {"language": settings.language, "class_label": label, "settings": shown}
        # One JSON string: gradio's page copies a prop's numbers one by one (thousands here) at every status change.
        payload["lesson"] = json.dumps(self.browser_texts(image, example, settings), separators=(",", ":"))
        return (payload, *self.texts(image, example, settings))

    def answer_if_photo(self, image: str | None, example: str | None, settings: LessonSettings) -> tuple:
        """Class, layer and language choices answer only when there is a photo."""
        if image is None:
            return (gr.skip(),) * (ANSWERED - 1)
        return self.answer(image, example, settings)

    def example_choices(self, language: str) -> list[tuple[str, str]]:
        """The example list in `language` ("Grace Hopper", "猎豹"); its values stay the names links use."""
        return [(example_name(stem, language), stem) for stem in self.examples]

    def relabel_examples(self, language: str, example: str | None = None):
        return gr.Dropdown(
            choices=self.example_choices(language), value=example, label=text("lesson.example", language)
        )

    def relabel(self, language: str, class_index: int = TOP1):
        return gr.Dropdown(choices=class_options(language), value=class_index, label=text("lesson.class", language))

    def restore(self, browser_language: str, request: gr.Request):
        """On page load: language from the link or the browser; settings and example from the link."""
        params = dict(request.query_params) if request else {}
        base = LessonSettings(language=resolve_language(browser_language))
        layers = list(self.explainer.backbone.layer_names())
        settings, example = parse_params(
            params, base, self.heads(), list(self.examples), layers, self.explainer.temperatures()
        )
        wants_lesson = params.get("view") == "lesson" or example is not None
        hidden = [settings.head, settings.temperature, *settings.query, settings.colormap, settings.opacity]
        hidden += [settings.shared_scale, settings.share, settings.top_k]
        opened = "lesson" if wants_lesson else ""
        chosen = gr.skip() if example is None else example  # no example asked for: no job on page load
        restored = (settings.language, settings.class_index, settings.class_index, settings.layer, *hidden, opened)
        return (*restored, chosen, chosen)
