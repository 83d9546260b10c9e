// Canvas painting: one map's overlay, written straight into its canvas, and the colour bar beside it.
// Python twin: cnnattn/render/overlays.py overlay (the same pixels); the colour bar has none.

import { blendPixels } from "../colour/blend.js";

// The overlay of one map: colormap[indices] blended over the photo's pixels.
export function paintOverlay(canvas, photo, indices, lut, alpha) {
  const { width, height } = photo;
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  if (!canvas.pixels || canvas.pixels.width !== width || canvas.pixels.height !== height) {
    canvas.pixels = new ImageData(width, height);  // kept per canvas: no allocation per repaint
  }
  blendPixels(new Uint32Array(canvas.pixels.data.buffer), photo.data, indices, lut, alpha);
  canvas.getContext("2d").putImageData(canvas.pixels, 0, 0);
}

// A horizontal colour bar with its two end labels.
export function paintColourBar(bar, lut, low, high) {
  const canvas = bar.querySelector("canvas");
  if (canvas.width !== 256 || canvas.height !== 1) Object.assign(canvas, { width: 256, height: 1 });
  const image = new ImageData(256, 1);
  for (let i = 0; i < 256; i++) image.data.set(lut.subarray(3 * i, 3 * i + 3), 4 * i);
  for (let i = 3; i < 1024; i += 4) image.data[i] = 255;
  canvas.getContext("2d").putImageData(image, 0, 0);
  bar.querySelector(".low").textContent = low;
  bar.querySelector(".high").textContent = high;
}

// Where the query sits on a map: a ring over the canvas (CSS), so the canvas keeps the pure overlay.
export function placeMarker(marker, query) {
  marker.hidden = false;
  marker.style.left = `${query[0] * 100}%`;
  marker.style.top = `${query[1] * 100}%`;
}
