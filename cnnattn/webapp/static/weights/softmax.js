// The one softmax, in the two precisions the Python side computes it in.
// Python twin: cnnattn/payload.py weights_from_payload and cnnattn/lesson/tables.py softmax64 (float64);
// torch's F.softmax in float32 (cnnattn/heads, cnnattn/lesson/steps.py position_weights_of).

const f32 = Math.fround;
const exact = (value) => value;

// softmax(logits) as a plain array: float64 like numpy, or with every step rounded to float32 like torch's
// (tiny weights underflow to exactly 0 there, as they do in Python).
export function softmax(logits, { float32 = false } = {}) {
  const round = float32 ? f32 : exact;
  let top = -Infinity;
  for (const v of logits) top = Math.max(top, v);
  const exps = Array.from(logits, (v) => round(Math.exp(round(v - top))));
  let total = 0;
  for (const v of exps) total = round(total + v);
  return exps.map((v) => round(v / total));
}

// cnnattn/lesson/tables.py softmax64: the scores shifted by their largest, then divided by T, in float64.
export function softmax64(scores, temperature) {
  let top = -Infinity;
  for (const v of scores) top = Math.max(top, v);
  return softmax(Array.from(scores, (v) => (v - top) / temperature));
}

// torch's F.softmax(scores / T) on float32 scores: the head's own weights (the lesson's readout and guess).
// torch divides a float32 tensor by a Python number in float32: by T rounded to float32.
export function softmax32(scores, temperature) {
  const T = f32(temperature);
  return softmax(Array.from(scores, (v) => f32(f32(v) / T)), { float32: true });
}
