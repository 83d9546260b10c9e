// The attention view: every head's map drawn from the payload, with controls that never ask the server.
// One object per view, given its element, its options (the props of cnnattn/webapp/view.py attention_view)
// and `emit(kind)` for what the page may want to hear: "input" (a text-changing setting moved) and
// "select" (a guess). Python twin: cnnattn/render/overlays.py overlay (what each map shows).

import { decodeColourTables, lutIndices } from "../colour/tables.js";
import { paintColourBar, paintOverlay, placeMarker } from "../drawing/canvas.js";
import { decodePhoto, drawingSize, imageDataURL, photoAt } from "../drawing/photo.js";
import { idlePainter, onScreen, warmUp, whenIdle } from "../drawing/schedule.js";
import { cellOf } from "../query/cells.js";
import { listenForQueries, setQuery, writeReadout } from "../query/pointer.js";
import { gridCell, headWeights } from "../weights/head_weights.js";
import { upsample } from "../weights/upsample.js";
import { viewControls } from "./controls.js";
import { make } from "./dom.js";
import { loadAnswer } from "./answer.js";

export function createView(element, options, emit = () => {}) {
  const state = {
    colormap: options.colormap, opacity: options.opacity, mode: "absolute", head: "all", query: [0.5, 0.5],
    temperatures: { ...options.temperatures }, learned: options.learned_temperature,
  };
  const api = { state, draws: 0, lastDrawMs: null, guessing: false, concealed: false };
  const view = { element, options, state, api, payload: null, photo: null, maps: [], latest: null };
  // The page's language (page/page.js sets it on every switch), then the answer's, then the view's own.
  view.language = () =>
    document.documentElement.dataset.cnnattnLanguage || view.latest?.language || options.language || "en";
  view.say = (key) => (options.strings[view.language()] || options.strings.en)[key] || key;
  // The lesson's view (options.single_head) shows one head, tells the page when a text-changing setting moved
  // and can hide the maps until the student guesses.
  view.single = Boolean(options.single_head);
  view.notify = (kind = "input") => {
    clearTimeout(api.notifyTimer);  // the lesson writes its texts in the browser: nothing to wait for
    api.notifyTimer = setTimeout(() => emit(kind), 0);
  };
  const luts = decodeColourTables(options.luts);
  const controls = viewControls(options, state, view.say);
  view.controls = controls;
  const status = make("p", { class: "cv-status", role: "status" });
  view.gallery = make("div", { class: "cv-maps" });
  view.attach = () => {  // gradio may re-render the template: re-attach
    const root = element.querySelector(".cv-root");
    if (root && root.firstChild !== controls.panel) root.replaceChildren(controls.panel, status, view.gallery);
    return root;
  };
  view.attach();

  const temperatureOf = (entry) => Number((entry.class_conditional ? controls.classT : controls.learnedT).value);

  function caption(map) {
    if (map.entry.class_conditional) return `${map.name}: ${view.payload.class_label}`;
    if (map.entry.form !== "query_row") return map.name;
    const [row, col] = cellOf(map.entry.grid, state.query);
    // counted from 1, as the lesson's texts and tables count them (JSON and files keep 0-based indices)
    return `${map.name} · ${view.say("view.query_at")} (${view.say("view.row")} ${row + 1}, ${view.say("view.col")} ${col + 1})`;
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
    if (state.mode === "absolute") return options.absolute_max / (h * w);
    return map.weights.reduce((a, b) => Math.max(a, b), 0);
  }

  function paint(map) {
    const weights = weightsOf(map);
    const [h, w] = map.entry.grid;
    const [width, height] = drawingSize(map.cssWidth, view.photo);
    if (!map.upsampled || map.upsampled.length !== width * height) map.upsampled = upsample(weights, h, w, height, width);
    const top = topOf(map);
    const indexKey = `${map.weightsKey}|${state.mode}|${width}`;
    if (map.indexKey !== indexKey) {
      map.indices = lutIndices(map.upsampled, top);
      map.indexKey = indexKey;
    }
    const opacity = api.concealed ? 0 : state.opacity;  // predict, then reveal: the photo alone first
    const paintKey = `${indexKey}|${state.colormap}|${opacity}|${view.language()}`;
    map.bar.hidden = api.concealed;
    if (map.paintKey !== paintKey) {  // maps the change does not touch keep their pixels
      const lut = luts[state.colormap];
      paintOverlay(map.canvas, photoAt(view.photo, width, height), map.indices, lut, opacity);
      const [low, high] = state.mode === "absolute"
        ? ["0×", `${options.absolute_max}× ${view.say("view.uniform")} (1/${h * w})`]
        : ["0", `${top.toFixed(4)} (${view.say("view.own_max")})`];
      paintColourBar(map.bar, lut, low, high);
      map.paintKey = paintKey;
    }
    map.caption.textContent = caption(map);
    map.canvas.setAttribute("aria-label", caption(map));
    writeReadout(view, map);
    if (map.entry.form === "query_row") placeMarker(map.marker, state.query);
  }
  const painter = idlePainter(paint);

  view.draw = function draw() {
    if (!view.payload || !view.photo) return;
    const start = performance.now();
    state.colormap = controls.colormap.value;
    state.mode = controls.mode.value;
    state.opacity = Number(controls.opacity.value);
    state.head = controls.head.value;
    for (const map of view.maps) map.figure.hidden = state.head !== "all" && state.head !== map.id;
    const shownMaps = view.maps.filter((map) => !map.figure.hidden);
    for (const map of shownMaps) map.cssWidth = map.canvas.clientWidth;  // one layout read for every map
    const now = shownMaps.length > 2 ? shownMaps.filter(onScreen) : shownMaps;  // on screen now, the rest when idle
    now.forEach(paint);
    painter.later(shownMaps.filter((map) => !now.includes(map)));
    const shown = view.maps.find((m) => m.id === state.head);
    if (view.single && shown) {  // only the temperature that affects the chosen head
      controls.classT.parentNode.hidden = options.fixed_temperature || !shown.entry.class_conditional;
      controls.learnedT.parentNode.hidden = options.fixed_temperature || shown.entry.class_conditional;
    }
    status.textContent = view.say(
      api.concealed ? "view.guess_prompt" : state.mode === "absolute" ? "view.absolute_note" : "view.per_map_note",
    );
    api.draws += 1;
    api.lastDrawMs = performance.now() - start;
    element.dataset.draws = String(api.draws);
    element.dataset.concealed = String(api.concealed);  // the page hides what would give a guess away
  };

  view.figureFor = (map) => {
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
    listenForQueries(view, map);
    map.figure = figure;
    return figure;
  };

  view.relabel = () => {
    for (const node of view.attach().querySelectorAll("[data-i18n]")) {
      if (node.tagName !== "OPTION" || node.dataset.i18n.startsWith("view.")) node.textContent = view.say(node.dataset.i18n);
    }
  };

  api.load = (next) => loadAnswer(view, next, decodePhoto);
  api.setGuessing = (on) => {
    api.guessing = Boolean(on);
    api.concealed = api.guessing && Boolean(view.payload);
    view.draw();
  };
  api.settings = () => ({
    head_temperature: headTemperature(), guessing: api.guessing,
    colormap: state.colormap, opacity: state.opacity, mode: state.mode, head: state.head, query: state.query,
    class_temperature: Number(controls.classT.value), temperature: Number(controls.learnedT.value),
  });
  function headTemperature() {
    const shown = view.maps.find((m) => m.id === state.head);
    return shown ? temperatureOf(shown.entry) : Number(controls.classT.value);
  }
  api.payload = () => view.payload;
  api.relabel = () => {  // the page's language changed: the words now, the maps' captions with them
    view.relabel();
    view.draw();
  };
  api.weights = (id) => Array.from(weightsOf(view.maps.find((m) => m.id === id)));
  api.setQuery = (query) => setQuery(view, query);
  api.photoAt = (width, height) => imageDataURL(photoAt(view.photo, width, height));
  api.flush = painter.flush;  // paint the maps left for idle time now
  api.pending = painter.pending;
  for (const input of [controls.head, controls.colormap, controls.mode]) input.addEventListener("change", view.draw);
  for (const input of [controls.opacity, controls.classT, controls.learnedT]) input.addEventListener("input", view.draw);
  for (const input of [controls.head, controls.classT, controls.learnedT]) input.addEventListener("change", () => view.notify());
  // Maps are drawn at the size they are shown: a new layout (window, a tab shown again) draws them again.
  new ResizeObserver(() => {
    const width = view.gallery.clientWidth;
    if (width > 0 && width !== api.galleryWidth && view.payload && view.photo) view.draw();
    if (width > 0) api.galleryWidth = width;
  }).observe(view.gallery);
  whenIdle(() => warmUp(luts[state.colormap], state.opacity));  // and the default opacity's blend table
  return api;
}
