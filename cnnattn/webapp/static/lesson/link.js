// The link that reopens the lesson's view with its settings.
// Python twin: cnnattn/lesson/links.py link_params (TOP1 = -1, FINAL = "final").

import { fixed, general } from "./format.js";

// `settings`: the view's (api.settings()); `lesson`: the block's settings, example and language. URLSearchParams
// encodes as urlencode does for these values.
export function link(settings, lesson) {
  const params = new URLSearchParams({ view: "lesson" });
  if (lesson.example) params.append("example", lesson.example);
  params.append("head", settings.head);
  params.append("qx", fixed(settings.query[0], 3));
  params.append("qy", fixed(settings.query[1], 3));
  params.append("t", general(settings.head_temperature));
  params.append("lang", lesson.language);
  params.append("cmap", settings.colormap);
  params.append("alpha", general(settings.opacity));
  params.append("shared", lesson.shared_scale ? "1" : "0");
  params.append("share", general(lesson.share));
  params.append("k", String(lesson.top_k));
  if (lesson.class_index !== -1) params.append("cls", String(lesson.class_index));
  if (lesson.layer !== "final") params.append("layer", lesson.layer);
  return `?${params}`;
}
