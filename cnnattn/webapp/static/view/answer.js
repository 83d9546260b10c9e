// A new answer in a view: its photo decoded, one map per head of the payload, the settings the server chose.
// `view` is the view's inner state (view/view.js). Python twin: cnnattn/payload.py build_payload (what
// arrives); settings: cnnattn/webapp/lesson.py LessonTab.answer.

import { setControl } from "./controls.js";
import { make } from "./dom.js";

// Settings the server chose for this answer (a lesson link, or the settings it was asked with).
function applySettings(view, settings) {
  const { state, controls } = view;
  if (settings.head) state.head = settings.head;
  if (settings.query) state.query = settings.query;
  if (settings.colormap) setControl(controls.colormap, settings.colormap);
  if (settings.opacity !== undefined) setControl(controls.opacity, settings.opacity);
  const entry = view.maps.find((m) => m.id === state.head)?.entry;
  if (settings.temperature && entry) setControl(entry.class_conditional ? controls.classT : controls.learnedT, settings.temperature);
}

// On a phone the controls above the view fill more than a screen: a new photo's first map is scrolled to,
// or tapping an example would change nothing the visitor can see.
function bringIntoView(view) {
  const first = view.maps.find((map) => !map.figure.hidden)?.figure;
  if (first && view.element.offsetParent !== null && window.matchMedia("(max-width: 700px)").matches) {
    requestAnimationFrame(() => first.scrollIntoView({ block: "start" }));
  }
}

// Show `next` (a payload, or nothing: an empty view).
export async function loadAnswer(view, next, decodePhoto) {
  const { api, state, controls, element } = view;
  view.latest = next;
  view.attach();
  element.dataset.empty = String(!next || !next.heads);  // the page hides the lesson's empty tables
  if (!next || !next.heads) {
    view.payload = null;
    view.gallery.replaceChildren();
    view.relabel();
    return;
  }
  api.received = performance.now();  // when the answer reached the view (bench.web splits the time with it)
  if (!view.photo || !view.payload || view.payload.photo.jpeg !== next.photo.jpeg) view.photo = await decodePhoto(next.photo.jpeg);
  const previous = view.payload;
  // The view's own copy: decoded arrays are kept on it, never on the caller's (gradio's) value.
  view.payload = { ...next, heads: next.heads.map((entry) => ({ ...entry })) };
  view.maps = view.payload.heads.flatMap((entry) => entry.ids.map((id, index) => ({ entry, index, id, name: entry.names[index] })));
  const newPhoto = !previous || previous.photo.jpeg !== next.photo.jpeg;
  controls.head.replaceChildren();
  if (!view.single) controls.head.append(make("option", { value: "all", "data-i18n": "view.all_heads" }, view.say("view.all_heads")));
  for (const map of view.maps) controls.head.append(make("option", { value: map.id }, map.name));
  if (next.settings) applySettings(view, next.settings);
  const fallback = view.single ? view.maps[0].id : "all";
  controls.head.value = view.maps.some((m) => m.id === state.head) ? state.head : fallback;
  api.concealed = api.guessing && newPhoto;
  view.gallery.replaceChildren(...view.maps.map(view.figureFor));
  for (const map of view.maps) Object.assign(map.canvas, { width: view.photo.width, height: view.photo.height });  // true layout
  view.relabel();
  view.draw();
  requestAnimationFrame(() => setTimeout(api.flush, 0));  // a new answer: the rest right after the first frame
  if (newPhoto) bringIntoView(view);
  element.dataset.loaded = next.key || "";
}
