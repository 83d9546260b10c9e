// weights/: the one softmax, each head's weights from its payload entry, and the bilinear upsampling.

import assert from "node:assert/strict";
import { test } from "node:test";
import { arrayOf, decodeArray } from "../../cnnattn/webapp/static/weights/arrays.js";
import { gridCell, headWeights } from "../../cnnattn/webapp/static/weights/head_weights.js";
import { softmax, softmax32, softmax64 } from "../../cnnattn/webapp/static/weights/softmax.js";
import { upsample } from "../../cnnattn/webapp/static/weights/upsample.js";
import { assertClose, cases } from "./cases.js";

const FLOAT64 = { rtol: 1e-12, atol: 1e-300 };  // numpy's exp and pairwise sums against Math.exp in order
const FLOAT32 = { rtol: 1e-6, atol: 1e-37 };  // torch's float32 softmax, or float64 results rounded to float32

test("softmax(scores / T) is numpy's", () => {
  for (const { scores, temperature, softmax: expected } of cases("softmax").cases) {
    assertClose(softmax(scores.map((v) => v / temperature)), expected, FLOAT64, `T=${temperature}`);
  }
});

test("softmax64 is cnnattn.lesson.tables.softmax64", () => {
  for (const { scores, temperature, softmax64: expected } of cases("softmax").cases) {
    assertClose(softmax64(scores, temperature), expected, FLOAT64, `T=${temperature}`);
  }
});

test("softmax32 is torch's float32 softmax, underflowing to 0 where it does", () => {
  for (const { scores, temperature, softmax32: expected } of cases("softmax").cases) {
    const own = softmax32(scores, temperature);
    assertClose(own, expected, FLOAT32, `T=${temperature}`);
    assert.deepEqual(own.map((v) => v === 0), expected.map((v) => v === 0));
  }
});

test("headWeights is cnnattn.payload.weights_from_payload, in float32", () => {
  for (const { entry, index, temperature, query, weights } of cases("weights").weights) {
    const shown = headWeights({ ...entry }, index, temperature, query);
    assert.ok(shown instanceof Float32Array);
    assertClose(shown, weights, FLOAT32, `${entry.form}/${entry.encoding} ${index} T=${temperature}`);
  }
});

test("gridCell is cnnattn.maps.grid_cell", () => {
  for (const { query, grid, cell } of cases("weights").cells) assert.equal(gridCell(query, grid), cell, `${query} on ${grid}`);
});

test("an entry's arrays are decoded once and kept on it", () => {
  const entry = { ...cases("weights").weights[0].entry };
  const scores = arrayOf(entry, "scores");
  assert.equal(arrayOf(entry, "scores"), scores);
  assert.deepEqual(Array.from(scores), Array.from(decodeArray(entry.scores)));
  assert.equal(entry._arrays.scores, scores);
});

// Not bit for bit: torch's kernel on this machine (AVX2) rounds differently in the last bit or two.
const UPSAMPLED = { rtol: 2e-6, atol: 1e-9 };

test("upsample is cnnattn.maps.upsample (torch's bilinear interpolation)", () => {
  for (const { grid, h, w, height, width, upsampled } of cases("upsample").cases) {
    assertClose(upsample(Float32Array.from(grid), h, w, height, width), upsampled, UPSAMPLED, `${h}x${w} -> ${height}x${width}`);
  }
});
