// lesson/: the readout under step 2 and the lesson's link.

import assert from "node:assert/strict";
import { test } from "node:test";
import { format } from "../../cnnattn/webapp/static/lesson/format.js";
import { link } from "../../cnnattn/webapp/static/lesson/link.js";
import { heaviestFirst, readout } from "../../cnnattn/webapp/static/lesson/readout.js";
import { assertClose, cases } from "./cases.js";

const maps = cases("maps");
const words = cases("words");

test("readout is cnnattn.analysis.readouts.read and summary, and its text readout_text", () => {
  for (const { map, share, k, entropy, effective, mass, summary, text } of cases("readout").cases) {
    const { weights, grid } = maps[map];
    for (const language of ["en", "zh"]) {
      const read = readout(weights, grid, share, k, words[language]);
      assertClose([read.entropy, read.effective, read.mass], [entropy, effective, mass], { rtol: 1e-9, atol: 1e-12 }, `map ${map}`);
      assert.equal(read.summary, summary[language], `map ${map} ${language}`);
      assert.equal(format(words[language].templates.readout, read), text[language], `map ${map} ${language}`);
    }
  }
});

test("heaviestFirst is numpy's stable argsort of -weights", () => {
  assert.deepEqual(heaviestFirst([0.1, 0.4, 0.1, 0.4]), [1, 3, 0, 2]);
});

test("link is cnnattn.lesson.links.link_params", () => {
  for (const { settings, fixed, link: written } of cases("link").cases) assert.equal(link(settings, fixed), written);
});
