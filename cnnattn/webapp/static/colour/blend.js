// The overlay's blend of a colour over a photo byte at an opacity, as a table of every possible result.
// Python twin: cnnattn/render/overlays.py overlay (photo * (1 - alpha) + colour * alpha + 0.5, float32).

const f32 = Math.fround;
const KEPT = 4;  // tables kept: a few views at different opacities do not rebuild them in turn

// Every blend this opacity can produce, indexed (colour byte << 8) | photo byte: 64 K entries made once
// per opacity, so a repaint is integer lookups instead of float arithmetic per channel.
const tables = new Map();
export function blendTable(alpha) {
  let table = tables.get(alpha);
  if (!table) {
    const a = f32(alpha);
    const b = f32(1 - alpha);
    table = new Uint8Array(256 * 256);
    for (let colour = 0; colour < 256; colour++) {
      const mixed = f32(colour * a);
      for (let pixel = 0; pixel < 256; pixel++) {
        // truncated like Python's astype(np.uint8)
        table[(colour << 8) | pixel] = Math.floor(f32(f32(mixed + f32(pixel * b)) + 0.5));
      }
    }
    if (tables.size >= KEPT) tables.delete(tables.keys().next().value);
    tables.set(alpha, table);
  }
  return table;
}

// The overlay's pixels: colormap[indices] blended over the photo's RGBA bytes, one little-endian RGBA word
// per pixel written into `out` (a Uint32Array over the canvas's pixels).
export function blendPixels(out, photo, indices, lut, alpha) {
  const table = blendTable(alpha);
  for (let p = 0, q = 0; p < indices.length; p++, q += 4) {
    const c = indices[p] * 3;
    out[p] = table[(lut[c] << 8) | photo[q]] | (table[(lut[c + 1] << 8) | photo[q + 1]] << 8)
      | (table[(lut[c + 2] << 8) | photo[q + 2]] << 16) | 0xff000000;
  }
}
