// The readout under step 2: how concentrated a map is and where its heaviest cells sit, in words.
// Python twin: cnnattn/analysis/readouts.py read, summary and where_it_sits (FLAT, SCATTERED, CENTRE_BAND,
// PLACE_KEYS); roundHalfEven: Python's round; heaviestFirst: numpy's stable argsort of -weights.

import { count, format } from "./format.js";

const FLAT = 0.9;
const SCATTERED = 0.3;
const CENTRE_BAND = 0.1;
const PLACE_KEYS = [["top left", "top", "top right"], ["left", "centre", "right"], ["bottom left", "bottom", "bottom right"]];
const band = (fraction) => (fraction < 0.5 - CENTRE_BAND ? 0 : fraction > 0.5 + CENTRE_BAND ? 2 : 1);

// Python's round(): halves go to the even neighbour.
export function roundHalfEven(value) {
  const nearest = Math.round(value);
  return Math.abs(value % 1) === 0.5 ? 2 * Math.round(value / 2) : nearest;
}

// Cell indices, heaviest first; ties keep their order.
export const heaviestFirst = (weights) => Array.from(weights, (v, i) => i).sort((a, b) => weights[b] - weights[a] || a - b);

// "flat", "scattered", or the band of the region's centre of mass.
export function whereItSits(weights, region, [h, w], effective) {
  if (effective >= FLAT * h * w) return "flat";
  const cells = weights.map((v, i) => [v, ((i % w) + 0.5) / w, (Math.floor(i / w) + 0.5) / h]).filter((_, i) => region[i]);
  const inside = cells.reduce((sum, [v]) => sum + v, 0);
  const x = cells.reduce((sum, [v, cx]) => sum + v * cx, 0) / inside;
  const y = cells.reduce((sum, [v, , cy]) => sum + v * cy, 0) / inside;
  const squares = cells.reduce((sum, [v, cx, cy]) => sum + v * ((cx - x) ** 2 + (cy - y) ** 2), 0);
  if (Math.sqrt(squares / inside) >= SCATTERED) return "scattered";  // readouts.spread_radius
  return PLACE_KEYS[band(y)][band(x)];
}

// The readout's numbers and summary sentence for (h*w) weights summing to 1; `words`: the lesson block's
// summary template, place words and templates.
export function readout(weights, [h, w], share, k, words) {
  const n = h * w;
  const total = weights.reduce((a, b) => a + b, 0);
  const entropy = Math.max(0, -weights.reduce((sum, v) => sum + v * Math.log(Math.max(v, 1e-30)), 0));
  const topK = Math.min(k, n);
  const order = heaviestFirst(weights);
  const mass = order.slice(0, topK).reduce((sum, i) => sum + weights[i], 0) / total;
  let running = 0;
  let cells = n;
  for (let i = 0; i < n; i++) {  // np.searchsorted(cumulative, share - 1e-12) + 1
    running += weights[order[i]];
    if (running / total >= share - 1e-12) {
      cells = i + 1;
      break;
    }
  }
  const region = new Array(n).fill(false);
  for (const i of order.slice(0, cells)) region[i] = true;
  const effective = Math.exp(entropy);
  const summary = format(words.summary, {
    percent: roundHalfEven(100 * share), cells, positions: n,
    place: words.places[whereItSits(weights, region, [h, w], effective)],
    equal: count(words.templates["count.position"], roundHalfEven(effective)),
  });
  const positions = count(words.templates["count.position"], cells);
  return { entropy, effective, n, k: topK, mass, share, positions, summary };
}
