// lesson/format.js and lesson/numbers.js: every number the lesson shows, written as Python writes it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { count, format, formatValue, general } from "../../cnnattn/webapp/static/lesson/format.js";
import { cellWeight, percentText, plainWeight, ratioText, scientific, weightText } from "../../cnnattn/webapp/static/lesson/numbers.js";
import { roundHalfEven } from "../../cnnattn/webapp/static/lesson/readout.js";
import { cases } from "./cases.js";

const F = cases("format");
const words = cases("words");

test("format specs .Nf and .N% are Python's, halfway values included", () => {
  for (const [spec, written] of Object.entries(F.specs)) {
    F.numbers.forEach((value, i) => assert.equal(formatValue(value, spec), written[i], `${value}:${spec}`));
  }
});

test("general is Python's :g", () => {
  for (const [value, written] of F.general) assert.equal(general(value), written, String(value));
});

test("the tables' numbers are cnnattn.lesson.tables'", () => {
  const twins = { scientific, weight: weightText, ratio: ratioText, percent: percentText };
  for (const [name, pairs] of Object.entries(F.tables)) {
    for (const [value, written] of pairs) assert.equal(twins[name](value), written, `${name}(${value})`);
  }
});

test("a weight in words and a cell's weight are plain_weight's and cell_weight's", () => {
  for (const language of ["en", "zh"]) {
    const templates = words[language].templates;
    for (const [value, written] of F.plain[language]) assert.equal(plainWeight(value, templates), written, `${language} ${value}`);
    for (const [weight, n, written] of F.cells[language]) assert.deepEqual(cellWeight(weight, n, templates), written, `${language} ${weight} ${n}`);
  }
});

test("every template the browser fills reads as Python's str.format writes it", () => {
  for (const { template, values, text } of F.templates) assert.equal(format(template, values), text, template);
});

test("format refuses a missing value and a spec it does not know", () => {
  assert.throws(() => format("{x}", {}), /no value for \{x\}/);
  assert.throws(() => format("{x:e}", { x: 1 }), /no format spec e/);
  assert.equal(format("{{x}} {x}", { x: 2 }), "{x} 2");
});

test("plural rules of both languages are cnnattn.i18n.count's", () => {
  for (const { template, n, text } of F.plurals) assert.equal(count(template, n), text, `${template} ${n}`);
});

test("roundHalfEven is Python's round", () => {
  for (const [value, rounded] of F.round) assert.equal(roundHalfEven(value), rounded, String(value));
});
