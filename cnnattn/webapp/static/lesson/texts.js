// Every text of the lesson for a view's head, temperature and query, written in the browser from the
// payload the view holds and its lesson block (cnnattn/lesson/block.py: fixed texts, templates, the pooling
// heads' step 3 for every temperature of the sliders). Python twin: cnnattn/lesson/answer.py lesson_answer.

import { guessText, scoreGuess } from "../query/guess.js";
import { gridCell } from "../weights/head_weights.js";
import { weightText } from "./numbers.js";
import { link } from "./link.js";
import { readout } from "./readout.js";
import { gridTable, poolingSteps, queryRowSteps } from "./steps.js";
import { format } from "./format.js";

// The lesson block arrives as one JSON string (see LessonTab.answer), parsed once per answer.
const blocks = new WeakMap();
export function lessonBlock(payload) {
  if (!blocks.has(payload)) blocks.set(payload, payload.lesson ? JSON.parse(payload.lesson) : null);
  return blocks.get(payload);
}

// The texts for the view's (its api's) payload and settings, or null before an answer with a lesson block.
export function lessonTexts(view) {
  const payload = view && view.payload();
  const block = payload && lessonBlock(payload);
  const settings = view && view.settings();
  const entry = block && payload.heads.find((e) => e.ids.includes(settings.head));
  if (!entry) return null;
  const index = entry.ids.indexOf(settings.head);
  const head = block.heads[settings.head];
  const s = { ...settings, cell: gridCell(settings.query, entry.grid) };
  const built = (entry.form === "position" ? poolingSteps : queryRowSteps)(entry, index, s, block, head);
  if (!built) return null;
  const t = block.templates;
  const r = readout(built.own, entry.grid, block.settings.share, block.settings.top_k, block);
  return {
    head: head.text,
    steps: built.steps,
    scores: built.scores,
    weights: gridTable(built.weights, entry.grid, t["table.weights"], weightText, t),
    step3: built.step3,
    cell: built.cell,
    readout: format(t.readout, r),
    link: link(settings, { ...block.settings, example: block.example, language: block.language }),
    note: block.example ? "" : t["link.upload"],
    guess: guessText(scoreGuess(built.own, entry.grid, settings.query), t),
    layer_visible: head.layers,
    registered: registeredTexts(block, settings.head),
  };
}

// The registered steps' texts for one head id: each step's template filled with that head's values (a step
// with no values for the head shows nothing). Python twin: cnnattn/webapp/lesson_answers.py LessonAnswers.texts.
export function registeredTexts(block, headId) {
  const steps = Object.entries(block.steps ?? {});
  return Object.fromEntries(steps.map(([name, step]) => {
    const values = step.values[headId];
    return [name, values ? format(block.templates[step.template], values) : ""];
  }));
}
