// query/: the query cell, the arrow keys' moves, the hover readout, and the guess's score and words.

import assert from "node:assert/strict";
import { test } from "node:test";
import { cellOf, clampQuery, movedQuery, readoutText } from "../../cnnattn/webapp/static/query/cells.js";
import { guessText, scoreGuess } from "../../cnnattn/webapp/static/query/guess.js";
import { assertClose, cases } from "./cases.js";

const maps = cases("maps");
const words = cases("words");

test("scoreGuess and guessText are cnnattn.lesson.guess's score_guess and guess_text", () => {
  for (const { map, click, cell, neighbours, mass, uniform, ratio, rank, text } of cases("guess").cases) {
    const { weights, grid } = maps[map];
    const guess = scoreGuess(weights, grid, click);
    assert.deepEqual([guess.cell, guess.neighbours, guess.rank, guess.positions], [cell, neighbours, rank, grid[0] * grid[1]]);
    assertClose([guess.mass, guess.uniform, guess.ratio], [mass, uniform, ratio], { rtol: 1e-12 }, `map ${map} at ${click}`);
    for (const language of ["en", "zh"]) {
      assert.equal(guessText(guess, words[language].templates), text[language], `map ${map} at ${click} ${language}`);
    }
  }
});

test("cellOf counts rows and columns from 0, and the arrow keys stay on the grid", () => {
  assert.deepEqual(cellOf([8, 12], [0.99, 0.01]), [0, 11, 8, 12]);
  assert.deepEqual(movedQuery("ArrowRight", [0, 11, 8, 12]), [11.5 / 12, 0.5 / 8]);
  assert.deepEqual(movedQuery("ArrowDown", [0, 11, 8, 12]), [11.5 / 12, 1.5 / 8]);
  assert.deepEqual(movedQuery("ArrowUp", [0, 0, 8, 12]), [0.5 / 12, 0.5 / 8]);
  assert.equal(movedQuery("Enter", [0, 0, 8, 12]), null);
  assert.deepEqual(clampQuery([-0.2, 1.3]), [0, 1]);
});

test("the hover readout gives the weight and its multiple of uniform", () => {
  const say = (key) => ({ "view.row": "row", "view.col": "col", "view.uniform": "uniform" })[key];
  assert.equal(readoutText([2, 4, 8, 12], 0.0123, say), "row 3, col 5: 0.0123 = 1.18× uniform");
});
