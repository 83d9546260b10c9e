// The lesson's texts on the gradio page: its text outputs (and the guess) as gradio's js-only events return
// them, by name, window.cnnattnLessonTexts for those events and tests, and the class choice shown for the
// class map only. The lesson's gradio adapter: its view is the one named "lesson". Python twin:
// cnnattn/webapp/lesson.py LessonTab.wire (write_texts: the names of each event's outputs, in order).

import { gradioView } from "../view/gradio.js";
import { TABLE_OUTPUTS, namedTexts } from "./outputs.js";
import { lessonBlock, lessonTexts } from "./texts.js";

// gr.Dataframe's value and label, as the server's gr.Dataframe(..., label=title) sends them.
const table = ({ headers, data, title }) => ({ __type__: "update", value: { headers, data, metadata: null }, label: title });
const visible = (on) => ({ __type__: "update", visible: on });

const lessonView = () => gradioView("lesson");

// An output's value as gradio's js-only event returns it.
const asGradio = (name, value) => (TABLE_OUTPUTS.includes(name) ? table(value) : name === "layer" ? visible(value) : value);

// What was last written into each output, for the payload it was written from: an output whose new value
// is the same is left alone (undefined), so gradio does not render a table again for nothing. A new answer
// (new payload) brought the server's own texts, so everything is written again after it. The guess's verdict
// is written at every reveal, as it was asked for.
function outputWriter(counter) {
  const last = { payload: null, shown: {} };
  return (names) => {
    const view = lessonView();
    const texts = lessonTexts(view);
    if (!texts) return undefined;  // nothing to write: every output keeps what it shows
    const named = namedTexts(texts);
    const missing = names.filter((name) => !(name in named));
    if (missing.length) throw new Error(`lesson/gradio.js: no text output named ${missing.join(", ")}`);
    const payload = view.payload();
    const fresh = last.payload !== payload;
    const shown = Object.fromEntries(names.map((name) => [name, JSON.stringify(asGradio(name, named[name]))]));
    const changed = names.map((name) => (fresh || name === "guess" || shown[name] !== last.shown[name] ? JSON.parse(shown[name]) : undefined));
    if (fresh) last.shown = {};
    Object.assign(last.shown, shown);
    last.payload = payload;
    counter.writes += 1;
    return changed;
  };
}

// The class dropdown matters to the class map only. It is shown or hidden by the page's style
// (theme.PAGE_CSS) after every draw of the lesson's view, not as an output of the lesson's events:
// gradio's page copies an output's props, the 1000 classes item by item, at every status change.
function showClassChoice() {
  const view = lessonView();
  const entry = view?.payload()?.heads.find((e) => e.ids.includes(view.settings().head));
  if (entry) document.documentElement.dataset.lessonClass = entry.class_conditional ? "shown" : "hidden";
}

function watchLessonView() {
  const element = document.querySelector("#lesson-view");
  if (!element) return setTimeout(watchLessonView, 200);
  new MutationObserver(showClassChoice).observe(element, { attributes: true, attributeFilter: ["data-draws"], subtree: true });
}

// Once on page load (demo.load js): window.cnnattnLessonTexts = {compute, outputs, block, writes};
// outputs(names): the values of the outputs `names`, in that order.
export function startLessonTexts() {
  const api = { writes: 0 };  // writes: how often the page was rewritten
  api.compute = () => lessonTexts(lessonView());
  api.outputs = outputWriter(api);
  api.block = () => { const payload = lessonView()?.payload(); return payload ? lessonBlock(payload) : null; };
  window.cnnattnLessonTexts = api;
  watchLessonView();
}
