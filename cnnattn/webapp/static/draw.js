// Canvas painting: the overlay blend of cnnattn.render.overlay and the colour bar beside each map.

// photo * (1 - alpha) per channel, shared by every map drawn at this opacity.
const dimmed = { alpha: null, photo: null, values: null };
function dimmedPhoto(photo, alpha) {
  if (dimmed.alpha !== alpha || dimmed.photo !== photo) {
    const b = f32(1 - alpha);
    const values = (dimmed.values = new Float32Array(photo.data.length));
    for (let i = 0; i < values.length; i++) values[i] = photo.data[i] * b;  // stored as float32
    Object.assign(dimmed, { alpha, photo });
  }
  return dimmed.values;
}

// photo * (1 - alpha) + colour * alpha + 0.5, truncated: the Python renderer's float32 steps.
function paintOverlay(canvas, photo, indices, lut, alpha) {
  const { width, height } = photo;
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  const out = image.data;
  const source = dimmedPhoto(photo, alpha);
  const a = f32(alpha);
  const mixed = new Float32Array(256 * 3);  // colour * alpha per LUT entry, computed once
  for (let i = 0; i < 256 * 3; i++) mixed[i] = f32(lut[i] * a);
  for (let p = 0, q = 0; p < indices.length; p++, q += 4) {
    const c = indices[p] * 3;
    out[q] = Math.floor(f32(f32(mixed[c] + source[q]) + 0.5));  // ImageData would round
    out[q + 1] = Math.floor(f32(f32(mixed[c + 1] + source[q + 1]) + 0.5));
    out[q + 2] = Math.floor(f32(f32(mixed[c + 2] + source[q + 2]) + 0.5));
    out[q + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

// A horizontal colour bar with its two end labels.
function paintColourBar(bar, lut, low, high) {
  const canvas = bar.querySelector("canvas");
  canvas.width = 256;
  canvas.height = 1;
  const context = canvas.getContext("2d");
  const image = context.createImageData(256, 1);
  for (let i = 0; i < 256; i++) {
    image.data.set([lut[3 * i], lut[3 * i + 1], lut[3 * i + 2], 255], 4 * i);
  }
  context.putImageData(image, 0, 0);
  bar.querySelector(".low").textContent = low;
  bar.querySelector(".high").textContent = high;
}

// Pixels of the display photo (the payload's JPEG), decoded once per answer.
async function photoPixels(jpeg) {
  const image = new Image();
  image.src = "data:image/jpeg;base64," + jpeg;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(image, 0, 0);
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

// Where the query sits on a map: a ring over the canvas (CSS), so the canvas keeps the pure overlay.
function placeMarker(marker, query) {
  marker.hidden = false;
  marker.style.left = `${query[0] * 100}%`;
  marker.style.top = `${query[1] * 100}%`;
}
