// Predict, then reveal: the score of a student's guess against the map's weights, and its words.
// Python twin: cnnattn/lesson/guess.py score_guess and guess_text (GOOD_RATIO).

import { count, format } from "../lesson/format.js";
import { gridCell } from "../weights/head_weights.js";

const GOOD_RATIO = 2;  // at least twice the uniform mass around the click: "good guess"

// The mass in the clicked cell and its neighbours against what a uniform map gives the same cells, and
// the clicked cell's rank (1 = heaviest; ties share the better rank). `click`: (x, y) fractions.
export function scoreGuess(weights, [h, w], click) {
  const cell = gridCell(click, [h, w]);
  const [row, col] = [Math.floor(cell / w), cell % w];
  const total = weights.reduce((a, b) => a + b, 0);
  let size = 0;
  let inside = 0;
  for (let r = Math.max(row - 1, 0); r <= Math.min(row + 1, h - 1); r++) {
    for (let c = Math.max(col - 1, 0); c <= Math.min(col + 1, w - 1); c++) {
      size += 1;
      inside += weights[r * w + c];
    }
  }
  const mass = inside / total;
  const uniform = size / (h * w);
  const rank = 1 + weights.filter((v) => v > weights[cell]).length;
  return { cell: [row, col], neighbours: size - 1, mass, uniform, ratio: mass / uniform, rank, positions: h * w };
}

// The score in words (rows and columns counted from 1), then a one-line verdict.
export function guessText(guess, templates) {
  const [row, col] = guess.cell;
  const result = format(templates["guess.result"], {
    row: row + 1, col: col + 1, neighbours: count(templates["count.neighbour"], guess.neighbours),
    mass: guess.mass, uniform: guess.uniform, ratio: guess.ratio, rank: guess.rank, n: guess.positions,
  });
  const verdict = guess.ratio >= GOOD_RATIO ? "guess.good" : guess.ratio >= 1 ? "guess.fair" : "guess.miss";
  return `${result} ${templates[verdict]}`;
}
