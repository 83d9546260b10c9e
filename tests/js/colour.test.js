// colour/: the colormap tables the view receives, and whole overlays against cnnattn.render.overlay.

import assert from "node:assert/strict";
import { test } from "node:test";
import { blendPixels } from "../../cnnattn/webapp/static/colour/blend.js";
import { decodeColourTables, lutIndices } from "../../cnnattn/webapp/static/colour/tables.js";
import { upsample } from "../../cnnattn/webapp/static/weights/upsample.js";
import { cases } from "./cases.js";

const { tables, overlays } = cases("colour");

test("the view's colour tables are the renderer's", () => {
  const sent = Object.fromEntries(Object.entries(tables).map(([name, table]) => [name, table.base64]));
  const decoded = decodeColourTables(sent);
  assert.deepEqual(Object.keys(decoded), Object.keys(tables));
  for (const [name, { rgb }] of Object.entries(tables)) assert.deepEqual(Array.from(decoded[name]), rgb, name);
});

test("upsample, lutIndices and blendPixels give cnnattn.render.overlay's pixels", () => {
  for (const { photo, width, height, grid, h, w, colormap, alpha, top, rgb } of overlays) {
    const lut = Uint8Array.from(tables[colormap].rgb);
    const indices = lutIndices(upsample(Float32Array.from(grid), h, w, height, width), top);
    const rgba = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) rgba.set(photo.slice(3 * p, 3 * p + 3), 4 * p);
    const out = new Uint32Array(width * height);
    blendPixels(out, rgba, indices, lut, alpha);
    const bytes = new Uint8Array(out.buffer);
    const shown = Array.from({ length: width * height * 3 }, (_, i) => bytes[4 * Math.floor(i / 3) + (i % 3)]);
    assert.deepEqual(shown, rgb, `${colormap} at opacity ${alpha}`);
    assert.ok(Array.from({ length: width * height }, (_, p) => bytes[4 * p + 3]).every((a) => a === 255));
  }
});
