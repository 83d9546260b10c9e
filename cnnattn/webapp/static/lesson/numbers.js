// Numbers as the lesson shows them: weights that never read as 0, ratios to uniform, percentages, and a
// cell's weight in words. Python twin: cnnattn/lesson/tables.py (scientific, format_weight, format_ratio,
// format_percent, plain_weight, cell_weight; SMALLEST_DECIMAL, SMALLEST_RATIO, TINY_WEIGHTS).

import { fixed, format, formatValue } from "./format.js";

const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
const SMALLEST_DECIMAL = 1e-3;
const SMALLEST_RATIO = 0.01;
const TINY_WEIGHTS = [[1e-9, "weight.tiny.billion"], [1e-6, "weight.tiny.million"], [1e-3, "weight.tiny.thousand"]];

// 5.0×10⁻⁴: readable on a page in any language, unlike 5.0e-04.
export function scientific(value) {
  const [mantissa, exponent] = value.toExponential(1).split("e");
  return `${mantissa}×10${String(Number(exponent)).replace(/./g, (c) => SUPERSCRIPT[c])}`;
}

export function weightText(v) {
  if (v >= SMALLEST_DECIMAL) return fixed(v, 4);
  if (v > 0) return scientific(v);
  return v === 0 ? "<10⁻³⁰⁸" : fixed(v, 4);
}

export const ratioText = (v) => (v >= SMALLEST_RATIO || v <= 0 ? fixed(v, 2) : scientific(v));

export function percentText(p) {
  if (p > 0 && p < 0.0005) return "<0.1%";
  if (p >= 0.9995 && p < 1) return ">99.9%";
  return formatValue(p, ".1%");
}

// A weight in words: four decimals from 0.001 up, below that how small it is.
export function plainWeight(value, templates) {
  const tiny = TINY_WEIGHTS.find(([bound]) => value < bound);
  return tiny ? templates[tiny[1]] : fixed(value, 4);
}

// The cell texts' {weight}, {compared} (against the uniform weight 1/n) and {exact} (the numbers in a
// <details> block where words stand for them).
export function cellWeight(weight, n, templates) {
  const ratio = weight * n;
  const compared = format(templates[ratio >= SMALLEST_RATIO ? "cell.times_uniform" : "cell.below_uniform"], { ratio, n });
  const tiny = weight < SMALLEST_DECIMAL || ratio < SMALLEST_RATIO;
  const exact = tiny ? format(templates["cell.exact"], { weight: weightText(weight), ratio: ratioText(ratio), n }) : "";
  return { weight: plainWeight(weight, templates), compared, exact };
}
