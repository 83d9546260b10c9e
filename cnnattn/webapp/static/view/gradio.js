// The view in gradio's gr.HTML: props in (the view's options, and its value: the payload), events out
// (gradio's trigger). The only place the view meets gradio. Python twin: cnnattn/webapp/view.py
// attention_view (the props, and js_on_load calling this).

import { createView } from "./view.js";

// A view is found through its element (data-cnnattn-view = its props.name), not a registry of the page's.
const NAMED = "[data-cnnattn-view]";
export const gradioView = (name) => document.querySelector(`[data-cnnattn-view="${name}"]`)?.cnnattn;
export const gradioViews = () => Array.from(document.querySelectorAll(NAMED), (element) => element.cnnattn);

// gr.HTML's js_on_load: element, props, trigger and watch are gradio's.
export function mountGradioView(element, props, trigger, watch) {
  const api = createView(element, props, (kind) => { if (props.notify) trigger(kind); });
  element.cnnattn = api;
  element.dataset.cnnattnView = props.name;
  watch("value", () => api.load(props.value));
  api.load(props.value);
  return api;
}
