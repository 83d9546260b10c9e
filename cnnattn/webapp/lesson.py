"""The Lesson tab (classroom mode): the photo's payload drawn by the same browser view as Explore, one
head at a time, beside the texts and tables of the three steps. Head, temperature, query, colormap and
opacity live in the view: the map, and the step texts and tables (static/lesson/, from the payload's lesson
block), follow them in the browser with no request; a new photo, class or layer and the check buttons ask
the server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import gradio as gr

from cnnattn.i18n import resolve_language, text
from cnnattn.labels import class_names
from cnnattn.lesson.links import parse_params
from cnnattn.lesson.outputs import registered_steps, text_outputs
from cnnattn.lesson.settings import TOP1, LessonSettings
from cnnattn.webapp.errors import CLEAR_REFUSED, as_notice, user_errors
from cnnattn.webapp.explore import example_name, read_upload
from cnnattn.webapp.gradio_internals import raw_upload_image
from cnnattn.webapp.lesson_answers import LessonAnswers, WebcamFrames, blank_texts
from cnnattn.webapp.lesson_api import PARAMETERS, READ_SETTINGS, in_order, with_settings, write_texts
from cnnattn.webapp.lesson_check_handlers import LATEX, LessonCheckHandlers
from cnnattn.webapp.scripts import START_LESSON_TEXTS
from cnnattn.webapp.view import attention_view

WEBCAM_EVERY_S = 1.0  # one backbone pass per second keeps a 2-core server responsive
WEBCAM_LIMIT_S = 120  # a forgotten webcam tab stops streaming after two minutes
PREFIX_LINK = "(q) => q.startsWith('?') ? location.origin + location.pathname + q : q"
GUESSING = "(on) => { window.cnnattn.view('lesson').setGuessing(on); return on; }"
# A link that asks for the lesson opens its tab in the browser: a server event with the tabs as an output
# would make gradio's page copy every component of the app on each later loading-status change.
OPEN_TAB = "(tab) => tab ? { __type__: 'update', selected: tab } : undefined"


def class_options(language: str) -> list[tuple[str, int]]:
    return [(text("lesson.top1", language), TOP1)] + [(f"{i}: {n}", i) for i, n in enumerate(class_names(language))]


class LessonTab:
    """Components are attributes (the step texts in `texts`, by output name); `render()` lays them out,
    `wire()` attaches the handlers: the answers' (`answers`), the checks' (`checks`) and the webcam's."""

    def __init__(self, pipeline, examples: list[str], output_dir: Path):
        self.answers = LessonAnswers(pipeline)
        self.checks = LessonCheckHandlers(self.answers)
        self.frames = WebcamFrames(pipeline, output_dir)
        self.examples = {Path(p).stem: p for p in examples}
        self.texts: dict[str, gr.components.Component] = {}  # output name -> its component

    @property
    def explainer(self):
        return self.answers.explainer

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
                    self.checks.render()
        if missing := set(text_outputs()) ^ set(self.texts):
            raise RuntimeError(f"The Lesson's text outputs and its components differ: {sorted(missing)}")
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
        self.layer = self.texts["layer"] = gr.Dropdown(
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
        self.link = self.texts["link"] = gr.Textbox(label=text("lesson.link"), elem_id="lesson-link", buttons=["copy"])
        self.texts["link_note"] = gr.Markdown(elem_id="lesson-link-note")
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
        def markdown(name: str, elem_id: str) -> None:
            self.texts[name] = gr.Markdown(elem_id=elem_id, latex_delimiters=LATEX)

        def table(name: str, key: str, elem_id: str) -> None:
            self.texts[name] = gr.Dataframe(label=text(key), elem_id=elem_id, interactive=False)

        markdown("head", "lesson-head-text")
        self.view = attention_view(
            "lesson", self.explainer.temperatures(), elem_id="lesson-view", single_head=True, notify=True
        )
        self.guess_md = gr.Markdown(elem_id="lesson-guess")
        markdown("step1", "lesson-step1")
        table("scores", "lesson.scores_table", "lesson-scores")
        markdown("step2", "lesson-step2")
        table("weights", "lesson.weights_table", "lesson-weights")
        markdown("cell", "lesson-cell")
        markdown("readout", "lesson-readout")
        markdown("step3", "lesson-step3")
        table("step3_table", "lesson.step3_table", "lesson-step3-table")
        for step in registered_steps():  # lesson.outputs: a registered step's text, under step 3
            markdown(step.output, f"lesson-{step.output}")

    def relabelled(self) -> list[tuple[gr.components.Component, str, str]]:
        """(component, i18n key, attribute) pairs a language switch updates."""
        pairs = [(self.tab, "tab.lesson", "label"), (self.intro, "lesson.intro", "value")]
        pairs += [(self.order, "lesson.order", "value"), (self.image, "lesson.photo", "label")]
        pairs += [(self.layer, "lesson.layer", "label")]  # the example list: relabel_examples
        pairs += [(self.guess_mode, "lesson.guess_mode", "label"), (self.webcam_box, "lesson.webcam", "label")]
        pairs += [(self.webcam, "lesson.webcam_in", "label"), (self.live, "lesson.webcam_live", "label")]
        pairs += [(self.freeze_button, "lesson.freeze", "value"), (self.link, "lesson.link", "label")]
        pairs += [(self.texts["scores"], "lesson.scores_table", "label")]
        pairs += [(self.texts["weights"], "lesson.weights_table", "label")]
        pairs += [(self.texts["step3_table"], "lesson.step3_table", "label")]
        return pairs + self.checks.relabelled()

    def settings_inputs(self, language: gr.Radio, class_index=None) -> list:
        """The components the settings travel in, in PARAMETERS' order: an event's last inputs (with_settings
        and READ_SETTINGS read them by name)."""
        chosen = self.class_index if class_index is None else class_index
        named = {**self.hidden, "class_index": chosen, "layer": self.layer}
        return [(named | {"language": language})[name] for name in PARAMETERS]

    def wire(self, demo: gr.Blocks, language: gr.Radio, tabs: gr.Tabs) -> None:
        settings = self.settings_inputs(language)
        texts = text_outputs()
        components = {"image": self.image, "example": self.example, "view": self.view, **self.texts}

        def event(handler: Callable, names: tuple[str, ...], notice: bool = False) -> dict:
            """fn= and outputs= of an event answering the outputs `names`; with `notice`, a refused photo
            becomes the notice's sentence and empties the answer (as_notice)."""
            fn = user_errors(with_settings(in_order(handler, names)))
            outputs = [components[name] for name in names]
            if not notice:
                return dict(fn=fn, outputs=outputs)
            blank = {"image": None, "example": None, "view": None, **blank_texts()}
            cleared = tuple(blank[name] for name in names)
            return dict(fn=as_notice(fn, cleared), outputs=[self.notice, *outputs])

        read = dict(js=READ_SETTINGS)
        answered = ("view", *texts)
        # The public endpoint raises; the page's upload shows a refused file as one sentence instead.
        self.api_button = gr.Button(visible=False)
        self.api_button.click(
            inputs=[self.image, *settings], api_name="lesson", **event(self.photo, ("example", *answered))
        )
        clear = dict(fn=None, inputs=self.notice, outputs=self.image, js=CLEAR_REFUSED, api_name=False)
        photo = event(self.photo, ("example", *answered), notice=True)
        self.image.upload(inputs=[self.image, *settings], api_name=False, **photo, **read).then(**clear)
        # An example the visitor picks (`input`: not when a photo clears the list), or one a link asks for.
        example = event(self.example_photo, ("image", *answered), notice=True) | dict(api_name=False, **read)
        self.example.input(inputs=[self.example, *settings], **example)
        self.linked_example.change(inputs=[self.linked_example, *settings], **example)
        self.view.change(None, None, self.guess_md, js="() => ''", api_name=False)  # a new answer: no old verdict
        answer = dict(inputs=[self.image, self.example, *settings], api_name=False, **read)
        answer |= event(self.answer_if_photo, answered)
        self.class_choice.change(None, self.class_choice, self.class_index, js="(chosen) => chosen", api_name=False)
        chosen = [self.image, self.example, *self.settings_inputs(language, class_index=self.class_choice)]
        self.class_choice.input(**dict(answer, inputs=chosen))
        self.layer.input(**answer)
        # The view's head, temperature and query: texts written in the browser, no request (js only).
        shown = [components[name] for name in texts]
        self.view.input(None, None, shown, js=write_texts(texts), api_name=False)
        # Predict, then reveal: the guess scored too.
        self.view.select(None, None, [*shown, self.guess_md], js=write_texts((*texts, "guess")), api_name=False)
        # The same texts for scripts, from the server (the page never calls it).
        self.render_button = gr.Button(visible=False)
        render = event(self.answers.texts, texts)
        self.render_button.click(inputs=[self.image, self.example, *settings], api_name="lesson_render", **render)
        self.guess_mode.change(None, self.guess_mode, self.guess_mode, js=GUESSING, api_name=False)
        self.link.change(None, self.link, self.link, js=PREFIX_LINK, api_name=False)
        language.change(
            self.relabel, [language, self.class_choice], self.class_choice, api_name=False, queue=False
        ).then(**answer)
        language.change(self.relabel_examples, [language, self.example], self.example, api_name=False, queue=False)
        self.checks.wire(self.image, settings, read)
        self._wire_webcam(language, settings, photo, read)
        # The step texts and tables written in the browser (static/lesson/).
        demo.load(None, None, None, js=START_LESSON_TEXTS, api_name=False)
        # The example last: its change event reads the settings when it is set, so the link's must be in place.
        restored = [language, self.class_choice, self.class_index, self.layer, *self.hidden.values(), self.opened]
        restored += [self.example, self.linked_example]
        load = dict(api_name=False, queue=False, js="() => navigator.language || 'en'")
        loaded = demo.load(self.restore, self.browser_language, restored, **load)
        loaded.then(None, self.opened, tabs, js=OPEN_TAB, api_name=False)

    def _wire_webcam(self, language: gr.Radio, settings: list, photo: dict, read: dict) -> None:
        """`photo`: the upload's fn= and outputs= (a frozen frame is answered as an uploaded photo)."""
        self.webcam.stream(
            user_errors(self.frames.live_frame),
            [self.webcam, language],
            [self.live, self.last_frame],
            stream_every=WEBCAM_EVERY_S,
            time_limit=WEBCAM_LIMIT_S,
            concurrency_limit=1,
            api_name=False,
        )
        self.freeze_button.click(
            user_errors(self.frames.freeze), [self.last_frame, language], self.image, api_name=False
        ).then(inputs=[self.image, *settings], api_name=False, **photo, **read)

    # Handlers: each takes the photo's path and one LessonSettings (with_settings builds it), and answers
    # {output name: value} (in_order gives gradio the values in the event's order).

    def photo(self, image: str | None, settings: LessonSettings) -> dict:
        """A new photo (upload or frozen frame): its payload and the steps' texts; the example is cleared."""
        return {"example": None, **self.answer(image, None, settings)}

    def example_photo(self, name: str | None, settings: LessonSettings) -> dict:
        if name not in self.examples:  # cleared, or a name the list does not offer: keep the page as it is
            return {}
        path = self.examples[name]
        return {"image": path, **self.answer(path, name, settings)}

    def answer(self, image: str | None, example: str | None, settings: LessonSettings) -> dict:
        """The payload for the view (cached encoding: one backbone pass per photo) and the texts."""
        chosen = None if settings.class_index == TOP1 else settings.class_index
        payload = self.answers.pipeline.payload(
            read_upload(image), class_index=chosen, layer=settings.layer, language=settings.language
        )
        shown = {name: getattr(settings, name) for name in ("head", "temperature", "colormap", "opacity")}
        shown["query"] = list(settings.query)
        label = class_names(settings.language)[payload["class_index"]]
        payload |= {"language": settings.language, "class_label": label, "settings": shown}
        # One JSON string: gradio's page copies a prop's numbers one by one (thousands here) at every status change.
        block = self.answers.browser_texts(image, example, settings)
        payload["lesson"] = json.dumps(block, separators=(",", ":"))
        return {"view": payload, **self.answers.texts(image, example, settings)}

    def answer_if_photo(self, image: str | None, example: str | None, settings: LessonSettings) -> dict:
        """Class, layer and language choices answer only when there is a photo."""
        return {} if image is None else self.answer(image, example, settings)

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
            params, base, self.answers.heads(), list(self.examples), layers, self.explainer.temperatures()
        )
        wants_lesson = params.get("view") == "lesson" or example is not None
        hidden = [settings.head, settings.temperature, *settings.query, settings.colormap, settings.opacity]
        hidden += [settings.shared_scale, settings.share, settings.top_k]
        opened = "lesson" if wants_lesson else ""
        chosen = gr.skip() if example is None else example  # no example asked for: no job on page load
        restored = (settings.language, settings.class_index, settings.class_index, settings.layer, *hidden, opened)
        return (*restored, chosen, chosen)
