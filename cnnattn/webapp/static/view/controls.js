// The view's controls: which head, colormap, colour scale, opacity and the two temperatures, each with
// its caption (an i18n key, relabelled on a language switch). Python twin: cnnattn/webapp/view.py
// attention_view (the options they start from: colormaps, temperature ranges).

import { make } from "./dom.js";

function control(key, input, say) {
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

// A <select> of [value, i18n key] choices.
export function select(name, choices, value, say) {
  const node = make("select", { name });
  for (const [choice, key] of choices) node.append(make("option", { value: choice, "data-i18n": key }, say(key)));
  node.value = value;
  return node;
}

function range(name, [low, high, step], value) {
  return make("input", { type: "range", name, min: low, max: high, step, value });
}

// The controls' panel and each input, set from the view's options and starting state.
export function viewControls(options, state, say) {
  const head = select("head", [["all", "view.all_heads"]], "all", say);
  const colormap = select("colormap", options.colormaps.map((c) => [c, c]), state.colormap, say);
  const mode = select("mode", [["absolute", "view.absolute"], ["per_map", "view.per_map"]], state.mode, say);
  const opacity = range("opacity", [0, 1, 0.05], state.opacity);
  const classT = range("class_temperature", options.class_temperature_range, options.temperatures.class ?? 4);
  const learnedT = range("temperature", options.learned_temperature_range, state.learned);
  const panel = make("div", { class: "cv-controls" });
  panel.append(
    control("view.head", head, say), control("view.colormap", colormap, say), control("view.mode", mode, say),
    control("view.opacity", opacity, say), control("view.class_temperature", classT, say),
    control("view.temperature", learnedT, say),
  );
  // A view with fixed temperatures (the lesson's Grad-CAM comparison) shows no temperature control at all.
  classT.parentNode.hidden = learnedT.parentNode.hidden = Boolean(options.fixed_temperature);
  return { panel, head, colormap, mode, opacity, classT, learnedT };
}

// A value the server chose, shown as if the control had been moved.
export function setControl(input, value) {
  input.value = value;
  const shown = input.parentNode.querySelector("output");
  if (shown) shown.textContent = input.value;
}
