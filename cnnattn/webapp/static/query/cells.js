// The query cell of a map: the cell under a query, the arrow keys' moves, the pointer's place and the
// hover readout. Python twin: cnnattn/maps.py grid_cell (the cell); the rest is the browser's only.

import { gridCell } from "../weights/head_weights.js";

const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

// [row, col, h, w] of the cell under `query` on an (h, w) grid, counted from 0.
export function cellOf(grid, query) {
  const [h, w] = grid;
  const cell = gridCell(query, grid);
  return [Math.floor(cell / w), cell % w, h, w];
}

// A query held inside the photo: x and y in [0, 1].
export const clampQuery = (query) => query.map((v) => clamp(v, 0, 1));

// The centre of the cell an arrow key moves to (held on the grid), or null for any other key.
const MOVES = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
export function movedQuery(key, [row, col, h, w]) {
  if (!(key in MOVES)) return null;
  const [dr, dc] = MOVES[key];
  const r = clamp(row + dr, 0, h - 1);
  const c = clamp(col + dc, 0, w - 1);
  return [(c + 0.5) / w, (r + 0.5) / h];
}

// Where a pointer event is on a canvas, as fractions of its shown width and height (not clamped).
export function pointerQuery(canvas, event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
}

// "row 3, col 5: 0.0123 = 1.18× uniform": a cell's weight and its multiple of the uniform weight 1/(h*w).
export function readoutText([row, col, h, w], weight, say) {
  return `${say("view.row")} ${row + 1}, ${say("view.col")} ${col + 1}: ${weight.toFixed(4)} = ${(weight * h * w).toFixed(2)}× ${say("view.uniform")}`;
}
