// The three steps' texts and tables of one head for the view's temperature and query cell, from the
// payload entry and the lesson block. Python twin: cnnattn/lesson/answer.py _pooling_view and _query_view
// (grid_table: cnnattn/lesson/tables.py; cosine: cnnattn/lesson/steps.py QueryLesson.cosine_to_own_value).

import { arrayOf } from "../weights/arrays.js";
import { keyDots } from "../weights/head_weights.js";
import { softmax32, softmax64 } from "../weights/softmax.js";
import { fixed, format } from "./format.js";
import { cellWeight, percentText, weightText } from "./numbers.js";
import { heaviestFirst } from "./readout.js";

const STEP3_ROWS = 5;
const range = (values) => [values.reduce((a, b) => Math.min(a, b)), values.reduce((a, b) => Math.max(a, b))];
const sum = (values) => values.reduce((a, b) => a + b, 0);

// "row 1".."row h", columns 1..w, each value through `shown`.
export function gridTable(values, [h, w], title, shown, t) {
  const headers = [t["table.corner"], ...Array.from({ length: w }, (_, c) => String(c + 1))];
  const data = Array.from({ length: h }, (_, r) => [
    format(t["table.row"], { n: r + 1 }), ...values.slice(r * w, (r + 1) * w).map(shown),
  ]);
  return { headers, data, title };
}

// Each step's weights twice: `weights` (float64, the tables and cell text) and `own` (the head's float32
// softmax: the readout, step 2's sum and largest weight, the heaviest cells, step 3's mix and the guess).

// A pooling head: scores s_p, their weights, step 3 from the block (null: a temperature the sliders cannot show).
export function poolingSteps(entry, index, s, block, head) {
  const [h, w] = entry.grid;
  const n = h * w;
  const t = block.templates;
  const scores = Array.from(arrayOf(entry, "scores").subarray(index * n, (index + 1) * n));
  const weights = softmax64(scores, s.head_temperature);
  const own = softmax32(scores, s.head_temperature);
  const at = head.temperatures.findIndex((T) => Math.abs(T - s.head_temperature) < 1e-9);
  if (at < 0) return null;
  const [c, attention, after, top] = head.step3[at];
  const [label, average, before] = block.classes[c];
  const [low, high] = range(scores);
  let step3 = format(t["pool.step3"], {
    c: head.channels, n, label, attention: percentText(attention), average: percentText(average),
  });
  if (head.class_conditional) step3 += `\n\n${format(t["pool.step3.circular"], { label, before, after })}`;
  const row = Math.floor(s.cell / w), col = s.cell % w;
  return {
    steps: [
      format(t["pool.step1"], { h, w, n, c: head.channels, low, high }),
      format(t["pool.step2"], { t: s.head_temperature, total: sum(own), top: Math.max(...own), n, uniform: 1 / n }),
      step3 + head.accuracy,
    ],
    scores: gridTable(scores, [h, w], t["table.scores.position"], (v) => fixed(v, 3), t),
    step3: {
      headers: ["lesson.col.class", "lesson.col.average", "lesson.col.attention"].map((key) => t[key]),
      data: top.map(([i, att]) => [block.classes[i][0], percentText(block.classes[i][1]), percentText(att)]),
      title: t["lesson.step3_table"],
    },
    cell: format(t["pool.cell"], { row: row + 1, col: col + 1, score: scores[s.cell], n, ...cellWeight(weights[s.cell], n, t) }),
    weights,
    own,
  };
}

// q_i . k_j of the query cell with every cell (unscaled).
function queryDots(entry, index, cell) {
  if (entry.encoding !== "rows") return keyDots(entry, index, cell);
  const n = entry.grid[0] * entry.grid[1];
  const rows = arrayOf(entry, "rows");
  return Array.from(rows.subarray((index * n + cell) * n, (index * n + cell + 1) * n), (v) => v / entry.scale);
}

// cos(v_i, sum_j a_j v_j): the values sent, the queries when Q = K = V, else the Gram matrix rows / scale.
function cosine(entry, index, head, cell, weights) {
  const n = weights.length;
  let vectors, d;
  if (head.values) [vectors, d] = [arrayOf(head, "values"), head.values_shape[1]];
  else if (entry.encoding === "qk") [vectors, d] = [arrayOf(entry, "queries").subarray(index * n * entry.shape[2]), entry.shape[2]];
  if (vectors) {
    const mixed = new Float64Array(d);
    for (let j = 0; j < n; j++) for (let c = 0; c < d; c++) mixed[c] += weights[j] * vectors[j * d + c];
    let dot = 0, own = 0, norm = 0;
    for (let c = 0; c < d; c++) {
      dot += vectors[cell * d + c] * mixed[c];
      own += vectors[cell * d + c] ** 2;
      norm += mixed[c] ** 2;
    }
    return own * norm > 0 ? dot / Math.sqrt(own * norm) : 0;
  }
  const rows = arrayOf(entry, "rows");
  const gram = (i, j) => rows[(index * n + i) * n + j] / entry.scale;
  let dot = 0, norm = 0;
  for (let i = 0; i < n; i++) {
    dot += weights[i] * gram(cell, i);
    for (let j = 0; j < n; j++) norm += weights[i] * weights[j] * gram(i, j);
  }
  const own = gram(cell, cell);
  return own * norm > 0 ? dot / Math.sqrt(own * norm) : 0;
}

// A query-row head: the query cell's dot products, scaled, their weights and step 3's cosine.
export function queryRowSteps(entry, index, s, block, head) {
  const [h, w] = entry.grid;
  const t = block.templates;
  const dots = queryDots(entry, index, s.cell);
  const scaled = dots.map((v) => v * entry.scale);
  const weights = softmax64(scaled, s.head_temperature);
  const own = softmax32(scaled, s.head_temperature);
  const [row, col] = [Math.floor(s.cell / w), s.cell % w];  // the query cell i, also the cell text's j
  const [low, high] = range(dots);
  const [scaledLow, scaledHigh] = range(scaled);
  const step3 = format(t["self.step3"], { cosine: cosine(entry, index, head, s.cell, own) });
  return {
    steps: [
      format(t["self.step1"], { row: row + 1, col: col + 1, low, high }),
      format(t["self.step2"], {
        d: head.d_k, root: Math.sqrt(head.d_k), low: scaledLow, high: scaledHigh, t: s.head_temperature,
        total: sum(own), top: Math.max(...own),
      }),
      step3 + head.tail,
    ],
    scores: gridTable(dots, [h, w], t["table.scores.query"], (v) => fixed(v, 2), t),
    step3: {
      headers: ["table.cell", "lesson.col.dot", "lesson.col.scaled", "lesson.col.weight"].map((key) => t[key]),
      data: heaviestFirst(own).slice(0, STEP3_ROWS).map((i) => [
        `(${Math.floor(i / w) + 1}, ${(i % w) + 1})`, fixed(dots[i], 2), fixed(scaled[i], 3), weightText(weights[i]),
      ]),
      title: t["table.step3.query"],
    },
    cell: format(t["self.cell"], {
      row: row + 1, col: col + 1, dot: dots[s.cell], scaled: scaled[s.cell], ...cellWeight(weights[s.cell], h * w, t),
    }),
    weights,
    own,
  };
}
