// The page's one script (built by cnnattn/webapp/scripts.py from these modules): window.cnnattn for
// gradio's js_on_load and demo.load, and for pages without gradio. Python twin: cnnattn/webapp/scripts.py.

import { startLessonTexts } from "./lesson/gradio.js";
import { startPage } from "./page/page.js";
import { gradioView, gradioViews, mountGradioView } from "./view/gradio.js";
import { createView } from "./view/view.js";

window.cnnattn = {
  createView,  // a view anywhere: createView(element, options, emit) -> its api
  mountGradioView,
  view: gradioView,  // the gradio page's view by name: view("explore"), view("lesson"), view("compare")
  startLessonTexts,
  startPage: (gradioWords) => startPage(gradioViews, gradioWords),
};
