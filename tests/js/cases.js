// The cases tests/js/make_cases.py wrote from the Python twins, and a closeness check for numbers whose
// last bits may differ (another order of sums, another exp).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

export const cases = (name) => JSON.parse(readFileSync(new URL(`./cases/${name}.json`, import.meta.url), "utf8"));

// Every actual[i] within atol + rtol * |expected[i]| of expected[i], and as many of them.
export function assertClose(actual, expected, { rtol = 0, atol = 0 } = {}, what = "") {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    if (!(error <= atol + rtol * Math.abs(expected[i]))) {
      assert.fail(`${what}[${i}]: ${actual[i]} is not ${expected[i]} (rtol ${rtol}, atol ${atol})`);
    }
  }
}
