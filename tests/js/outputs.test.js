// lesson/outputs.js and the registered steps' texts: the same output names as cnnattn/lesson/outputs.py,
// and a registered step's template filled as the server fills it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { TABLE_OUTPUTS, TEXT_OUTPUTS, namedTexts } from "../../cnnattn/webapp/static/lesson/outputs.js";
import { registeredTexts } from "../../cnnattn/webapp/static/lesson/texts.js";
import { cases } from "./cases.js";

const outputs = cases("outputs");
const words = cases("words");

test("the text outputs are cnnattn.lesson.outputs TEXT_OUTPUTS and TABLE_OUTPUTS, in their order", () => {
  assert.deepEqual(TEXT_OUTPUTS, outputs.text_outputs);
  assert.deepEqual(TABLE_OUTPUTS, outputs.table_outputs);
});

test("namedTexts names every text output, the guess and the registered steps", () => {
  const texts = {
    head: "h", steps: ["1", "2", "3"], scores: {}, weights: {}, step3: {}, cell: "c", readout: "r", link: "?l",
    note: "n", layer_visible: false, guess: "g", registered: { toy: "t" },
  };
  assert.deepEqual(Object.keys(namedTexts(texts)).sort(), [...TEXT_OUTPUTS, "guess", "toy"].sort());
});

test("a registered step's text is its template filled as LessonAnswers.texts fills it, in both languages", () => {
  for (const language of ["en", "zh"]) {
    const block = { ...outputs.block, templates: words[language].templates };
    for (const [head, expected] of Object.entries(outputs.texts[language])) {
      assert.deepEqual(registeredTexts(block, head), expected, `${language} ${head}`);
    }
  }
});
