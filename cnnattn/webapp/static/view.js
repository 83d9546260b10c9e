// The attention view: every head's map drawn from the payload, with controls that never ask the server.
// Runs as gr.HTML's js_on_load after weights.js and draw.js (element, props and watch come from gradio).

// The page's language (static/page.js sets it on every switch), then the answer's, then the view's own.
const language = () =>
  document.documentElement.dataset.cnnattnLanguage || (props.value && props.value.language) || props.language || "en";
const say = (key) => (props.strings[language()] || props.strings.en)[key] || key;
const state = {
  colormap: props.colormap, opacity: props.opacity, mode: "absolute", head: "all", query: [0.5, 0.5],
  temperatures: { ...props.temperatures }, learned: props.learned_temperature,
};
let payload = null;  // the view's own copy: decoded arrays are kept on it, never on gradio's state
let photo = null;
const luts = Object.fromEntries(Object.entries(props.luts).map(([name, text]) => [name, decodeBytes(text)]));
let maps = [];
const api = { state, draws: 0, lastDrawMs: null, guessing: false, concealed: false };
// The lesson's view (props.single_head) shows one head, tells the page when a text-changing setting moved
// (trigger "input", a browser-only event) and can hide the maps until the student guesses (trigger "select").
const single = Boolean(props.single_head);
element.cnnattn = api;
(window.cnnattnViews = window.cnnattnViews || {})[props.name] = api;

function make(tag, attributes = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== null) node.textContent = text;  // text, never HTML: names and labels are escaped
  return node;
}

function control(key, input) {
  const label = make("label", { class: "cv-control" });
  const caption = make("span", { "data-i18n": key }, say(key));
  label.append(caption, input);
  if (input.type === "range") {
    const shown = make("output", {}, input.value);
    input.addEventListener("input", () => { shown.textContent = input.value; });
    label.append(shown);
  }
  return label;
}

function select(name, options, value) {
  const node = make("select", { name });
  for (const [optionValue, key] of options) node.append(make("option", { value: optionValue, "data-i18n": key }, say(key)));
  node.value = value;
  return node;
}

function range(name, [low, high, step], value) {
  return make("input", { type: "range", name, min: low, max: high, step, value });
}

const controls = make("div", { class: "cv-controls" });
const headSelect = select("head", [["all", "view.all_heads"]], "all");
const colormapSelect = select("colormap", props.colormaps.map((c) => [c, c]), state.colormap);
const modeSelect = select("mode", [["absolute", "view.absolute"], ["per_map", "view.per_map"]], state.mode);
const opacityInput = range("opacity", [0, 1, 0.05], state.opacity);
const classT = range("class_temperature", props.class_temperature_range, props.temperatures.class ?? 4);
const learnedT = range("temperature", props.learned_temperature_range, state.learned);
controls.append(
  control("view.head", headSelect), control("view.colormap", colormapSelect), control("view.mode", modeSelect),
  control("view.opacity", opacityInput), control("view.class_temperature", classT),
  control("view.temperature", learnedT),
);
// A view with fixed temperatures (the lesson's Grad-CAM comparison) shows no temperature control at all.
classT.parentNode.hidden = learnedT.parentNode.hidden = Boolean(props.fixed_temperature);
const status = make("p", { class: "cv-status", role: "status" });
const gallery = make("div", { class: "cv-maps" });
function attach() {
  const root = element.querySelector(".cv-root");  // gradio may re-render the template: re-attach
  if (root && root.firstChild !== controls) root.replaceChildren(controls, status, gallery);
  return root;
}
attach();

function notify(kind = "input") {
  if (!props.notify) return;
  clearTimeout(api.notifyTimer);  // the lesson writes its texts in the browser: nothing to wait for
  api.notifyTimer = setTimeout(() => trigger(kind), 0);
}

function temperatureOf(entry) {
  return entry.class_conditional ? Number(classT.value) : Number(learnedT.value);
}

function cellOf(map, query) {
  const [h, w] = map.entry.grid;
  const cell = gridCell(query, map.entry.grid);
  return [Math.floor(cell / w), cell % w, h, w];
}

function caption(map) {
  if (map.entry.class_conditional) return `${map.name}: ${payload.class_label}`;
  if (map.entry.form !== "query_row") return map.name;
  const [row, col] = cellOf(map, state.query);
  // counted from 1, as the lesson's texts and tables count them (JSON and files keep 0-based indices)
  return `${map.name} · ${say("view.query_at")} (${say("view.row")} ${row + 1}, ${say("view.col")} ${col + 1})`;
}

function weightsOf(map) {
  const T = temperatureOf(map.entry);
  const key = `${T}|${map.entry.form === "query_row" ? gridCell(state.query, map.entry.grid) : ""}`;
  if (map.weightsKey !== key) {
    map.weights = headWeights(map.entry, map.index, T, state.query);
    map.weightsKey = key;
    map.upsampled = null;
  }
  return map.weights;
}

function topOf(map) {
  const [h, w] = map.entry.grid;
  if (state.mode === "absolute") return props.absolute_max / (h * w);
  return map.weights.reduce((a, b) => Math.max(a, b), 0);
}

function paint(map) {
  const weights = weightsOf(map);
  const [h, w] = map.entry.grid;
  const [width, height] = drawingSize(map.cssWidth, photo);
  if (!map.upsampled || map.upsampled.length !== width * height) map.upsampled = upsample(weights, h, w, height, width);
  const top = topOf(map);
  const indexKey = `${map.weightsKey}|${state.mode}|${width}`;
  if (map.indexKey !== indexKey) {
    map.indices = lutIndices(map.upsampled, top);
    map.indexKey = indexKey;
  }
  const opacity = api.concealed ? 0 : state.opacity;  // predict, then reveal: the photo alone first
  const paintKey = `${indexKey}|${state.colormap}|${opacity}|${language()}`;
  map.bar.hidden = api.concealed;
  if (map.paintKey !== paintKey) {  // maps the change does not touch keep their pixels
    const lut = luts[state.colormap];
    paintOverlay(map.canvas, photoAt(photo, width, height), map.indices, lut, opacity);
    const [low, high] = state.mode === "absolute"
      ? ["0×", `${props.absolute_max}× ${say("view.uniform")} (1/${h * w})`]
      : ["0", `${top.toFixed(4)} (${say("view.own_max")})`];
    paintColourBar(map.bar, lut, low, high);
    map.paintKey = paintKey;
  }
  map.caption.textContent = caption(map);
  map.canvas.setAttribute("aria-label", caption(map));
  writeReadout(map);
  if (map.entry.form === "query_row") placeMarker(map.marker, state.query);
}

function draw() {
  if (!payload || !photo) return;
  const start = performance.now();
  state.colormap = colormapSelect.value;
  state.mode = modeSelect.value;
  state.opacity = Number(opacityInput.value);
  state.head = headSelect.value;
  for (const map of maps) map.figure.hidden = state.head !== "all" && state.head !== map.id;
  const shownMaps = maps.filter((map) => !map.figure.hidden);
  for (const map of shownMaps) map.cssWidth = map.canvas.clientWidth;  // one layout read for every map
  const now = shownMaps.length > 2 ? shownMaps.filter(onScreen) : shownMaps;  // on screen now, the rest when idle
  now.forEach(paint);
  paintWhenIdle(shownMaps.filter((map) => !now.includes(map)), paint);
  const shown = maps.find((m) => m.id === state.head);
  if (single && shown) {  // only the temperature that affects the chosen head
    classT.parentNode.hidden = props.fixed_temperature || !shown.entry.class_conditional;
    learnedT.parentNode.hidden = props.fixed_temperature || shown.entry.class_conditional;
  }
  status.textContent = say(
    api.concealed ? "view.guess_prompt" : state.mode === "absolute" ? "view.absolute_note" : "view.per_map_note",
  );
  api.draws += 1;
  api.lastDrawMs = performance.now() - start;
  element.dataset.draws = String(api.draws);
  element.dataset.concealed = String(api.concealed);  // the page hides what would give a guess away
}

function figureFor(map) {
  const figure = make("figure", { class: "cv-map", "data-head": map.id });
  const frame = make("div", { class: "cv-frame" });
  map.canvas = make("canvas", { tabindex: "0", role: "img", "aria-label": map.name });  // paint() adds the query
  map.marker = make("span", { class: "cv-marker", "aria-hidden": "true" });
  map.marker.hidden = true;
  frame.append(map.canvas, map.marker);
  map.caption = make("figcaption");
  map.bar = make("div", { class: "cv-bar" });
  map.bar.append(make("span", { class: "low" }), make("canvas", { "aria-hidden": "true" }), make("span", { class: "high" }));
  map.readout = make("output", { class: "cv-readout", "aria-live": "polite" });
  figure.append(frame, map.caption, map.bar, map.readout);
  map.canvas.addEventListener("pointermove", (event) => readout(map, event));
  map.canvas.addEventListener("click", (event) => setQuery(readout(map, event)));
  map.canvas.addEventListener("keydown", (event) => keyMove(map, event));
  map.figure = figure;
  return figure;
}

function relabel() {
  for (const node of attach().querySelectorAll("[data-i18n]")) {
    if (node.tagName !== "OPTION" || node.dataset.i18n.startsWith("view.")) node.textContent = say(node.dataset.i18n);
  }
}

async function load(next) {
  attach();
  element.dataset.empty = String(!next || !next.heads);  // the page hides the lesson's empty tables
  if (!next || !next.heads) {
    payload = null;
    gallery.replaceChildren();
    relabel();
    return;
  }
  api.received = performance.now();  // when the answer reached the view (bench.web splits the time with it)
  if (!photo || !payload || payload.photo.jpeg !== next.photo.jpeg) photo = await decodePhoto(next.photo.jpeg);
  const previous = payload;
  payload = { ...next, heads: next.heads.map((entry) => ({ ...entry })) };
  maps = payload.heads.flatMap((entry) => entry.ids.map((id, index) => ({ entry, index, id, name: entry.names[index] })));
  const newPhoto = !previous || previous.photo.jpeg !== next.photo.jpeg;
  headSelect.replaceChildren();
  if (!single) headSelect.append(make("option", { value: "all", "data-i18n": "view.all_heads" }, say("view.all_heads")));
  for (const map of maps) headSelect.append(make("option", { value: map.id }, map.name));
  if (next.settings) applySettings(next.settings);
  const fallback = single ? maps[0].id : "all";
  headSelect.value = maps.some((m) => m.id === state.head) ? state.head : fallback;
  api.concealed = api.guessing && newPhoto;
  gallery.replaceChildren(...maps.map(figureFor));
  for (const map of maps) Object.assign(map.canvas, { width: photo.width, height: photo.height });  // true layout
  relabel();
  draw();
  requestAnimationFrame(() => setTimeout(api.flush, 0));  // a new answer: the rest right after the first frame
  if (newPhoto) bringIntoView();
  element.dataset.loaded = next.key || "";
}

// On a phone the controls above the view fill more than a screen: a new photo's first map is scrolled to,
// or tapping an example would change nothing the visitor can see.
function bringIntoView() {
  const first = maps.find((map) => !map.figure.hidden)?.figure;
  if (first && element.offsetParent !== null && window.matchMedia("(max-width: 700px)").matches) {
    requestAnimationFrame(() => first.scrollIntoView({ block: "start" }));
  }
}

// Settings the server chose for this answer (a lesson link, or the settings it was asked with).
function applySettings(settings) {
  if (settings.head) state.head = settings.head;
  if (settings.query) state.query = settings.query;
  if (settings.colormap) setControl(colormapSelect, settings.colormap);
  if (settings.opacity !== undefined) setControl(opacityInput, settings.opacity);
  const entry = maps.find((m) => m.id === state.head)?.entry;
  if (settings.temperature && entry) setControl(entry.class_conditional ? classT : learnedT, settings.temperature);
}

function setControl(input, value) {  // a value the server chose, shown as if the control had been moved
  input.value = value;
  const shown = input.parentNode.querySelector("output");
  if (shown) shown.textContent = input.value;
}

function headTemperature() {
  const shown = maps.find((m) => m.id === state.head);
  return shown ? temperatureOf(shown.entry) : Number(classT.value);
}

api.setGuessing = (on) => {
  api.guessing = Boolean(on);
  api.concealed = api.guessing && Boolean(payload);
  draw();
};
api.settings = () => ({
  head_temperature: headTemperature(), guessing: api.guessing,
  colormap: state.colormap, opacity: state.opacity, mode: state.mode, head: state.head, query: state.query,
  class_temperature: Number(classT.value), temperature: Number(learnedT.value),
});
api.payload = () => payload;
api.relabel = () => {  // the page's language changed: the words now, the maps' captions with them
  relabel();
  draw();
};
api.weights = (id) => Array.from(weightsOf(maps.find((m) => m.id === id)));
api.setQuery = setQuery;
api.photoAt = (width, height) => imageDataURL(photoAt(photo, width, height));
api.flush = () => paintWhenIdle.flush(paint);  // paint the maps left for idle time now
api.pending = () => paintWhenIdle.waiting.length;
for (const input of [headSelect, colormapSelect, modeSelect]) input.addEventListener("change", draw);
for (const input of [opacityInput, classT, learnedT]) input.addEventListener("input", draw);
for (const input of [headSelect, classT, learnedT]) input.addEventListener("change", () => notify());
// Maps are drawn at the size they are shown: a new layout (window, a tab shown again) draws them again.
new ResizeObserver(() => {
  const width = gallery.clientWidth;
  if (width > 0 && width !== api.galleryWidth && payload && photo) draw();
  if (width > 0) api.galleryWidth = width;
}).observe(gallery);
watch("value", () => load(props.value));
load(props.value);
whenIdle(() => warmUp(luts[state.colormap], state.opacity));  // and the default opacity's blend table
