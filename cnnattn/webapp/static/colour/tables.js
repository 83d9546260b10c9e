// Colormap tables and the indices into them: which of a colormap's 256 colours each pixel of a map gets.
// Python twin: cnnattn/webapp/view.py lookup_tables (the tables), cnnattn/render/overlays.py heatmap (indices).

import { decodeBytes } from "../weights/arrays.js";

const f32 = Math.fround;

// {colormap: base64 of 256 RGB triples} -> {colormap: Uint8Array(768)}.
export function decodeColourTables(tables) {
  return Object.fromEntries(Object.entries(tables).map(([name, text]) => [name, decodeBytes(text)]));
}

// Colormap indices 0..255 of an upsampled map: clip(v / top * 255 + 0.5), in float32 steps.
export function lutIndices(values, top) {
  const scale = f32(Math.max(top, 1e-12));
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = f32(f32(f32(values[i] / scale) * 255) + 0.5);
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v);
  }
  return out;
}
