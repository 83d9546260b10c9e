// Each head's weights from its payload entry at any temperature and query, as the server would compute them.
// Python twin: cnnattn/payload.py weights_from_payload; gridCell: cnnattn/maps.py grid_cell.

import { arrayOf } from "./arrays.js";
import { softmax } from "./softmax.js";

// Flat index of the grid cell under the query (x, y fractions of the photo) on an (h, w) grid.
export function gridCell(query, grid) {
  const [x, y] = query;
  const [h, w] = grid;
  return Math.min(Math.floor(y * h), h - 1) * w + Math.min(Math.floor(x * w), w - 1);
}

// q_cell . k_p for every cell p of map `index` of an entry that sends queries (and keys): unscaled, float64.
export function keyDots(entry, index, cell) {
  const n = entry.grid[0] * entry.grid[1];
  const d = entry.shape[2];
  const queries = arrayOf(entry, "queries");
  const keys = entry.keys ? arrayOf(entry, "keys") : queries;
  const q = (index * n + cell) * d;
  return Array.from({ length: n }, (_, p) => {
    let dot = 0;
    const k = (index * n + p) * d;
    for (let c = 0; c < d; c++) dot += keys[k + c] * queries[q + c];
    return dot;
  });
}

// (h*w) float32 weights of map `index` of one payload entry at temperature T and query (x, y): the logits
// in float64 like numpy, the weights rounded to float32 like the arrays Python upsamples.
export function headWeights(entry, index, temperature, query) {
  const n = entry.grid[0] * entry.grid[1];
  let logits;
  if (entry.form === "position") {
    const scores = arrayOf(entry, "scores");
    logits = Array.from({ length: n }, (_, p) => scores[index * n + p] / temperature);
  } else if (entry.encoding === "rows") {
    const rows = arrayOf(entry, "rows");
    const start = (index * n + gridCell(query, entry.grid)) * n;
    logits = Array.from({ length: n }, (_, p) => rows[start + p] / temperature);
  } else {
    logits = keyDots(entry, index, gridCell(query, entry.grid)).map((dot) => (dot * entry.scale) / temperature);
  }
  return Float32Array.from(softmax(logits));
}
