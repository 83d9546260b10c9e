// Canvas painting: the overlay blend of cnnattn.render.overlay and the colour bar beside each map.

// Every blend this opacity can produce, indexed (colour byte << 8) | photo byte: 64 K entries made once
// per opacity, so a repaint is integer lookups instead of float arithmetic per channel.
const blends = { alpha: null, table: null };
function blendTable(alpha) {
  if (blends.alpha !== alpha) {
    const a = f32(alpha);
    const b = f32(1 - alpha);
    const table = new Uint8Array(256 * 256);
    for (let colour = 0; colour < 256; colour++) {
      const mixed = f32(colour * a);
      for (let pixel = 0; pixel < 256; pixel++) {
        // photo * (1 - alpha) + colour * alpha + 0.5, truncated: the Python renderer's float32 steps
        table[(colour << 8) | pixel] = Math.floor(f32(f32(mixed + f32(pixel * b)) + 0.5));
      }
    }
    Object.assign(blends, { alpha, table });
  }
  return blends.table;
}

// The overlay of one map: colormap[indices] blended over the photo, written straight into the canvas.
function paintOverlay(canvas, photo, indices, lut, alpha) {
  const { width, height } = photo;
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  if (!canvas.pixels || canvas.pixels.width !== width || canvas.pixels.height !== height) {
    canvas.pixels = new ImageData(width, height);  // kept per canvas: no allocation per repaint
  }
  const out = new Uint32Array(canvas.pixels.data.buffer);  // one write per pixel (little-endian RGBA)
  const source = photo.data;
  const table = blendTable(alpha);
  for (let p = 0, q = 0; p < indices.length; p++, q += 4) {
    const c = indices[p] * 3;
    out[p] = table[(lut[c] << 8) | source[q]] | (table[(lut[c + 1] << 8) | source[q + 1]] << 8)
      | (table[(lut[c + 2] << 8) | source[q + 2]] << 16) | 0xff000000;
  }
  canvas.getContext("2d").putImageData(canvas.pixels, 0, 0);
}

// A horizontal colour bar with its two end labels.
function paintColourBar(bar, lut, low, high) {
  const canvas = bar.querySelector("canvas");
  if (canvas.width !== 256 || canvas.height !== 1) Object.assign(canvas, { width: 256, height: 1 });
  const image = new ImageData(256, 1);
  for (let i = 0; i < 256; i++) image.data.set(lut.subarray(3 * i, 3 * i + 3), 4 * i);
  for (let i = 3; i < 1024; i += 4) image.data[i] = 255;
  canvas.getContext("2d").putImageData(image, 0, 0);
  bar.querySelector(".low").textContent = low;
  bar.querySelector(".high").textContent = high;
}

// The first answer would run the map code before V8 has compiled it: once in idle time after page load,
// a made-up map goes through the same steps, so the first real draw runs compiled code.
function warmUp(lut, alpha) {
  const photo = new ImageData(192, 128);
  for (let round = 0; round < 2; round++) {
    const indices = lutIndices(upsample(Float32Array.from([0.1, 0.2, 0.3, 0.4]), 2, 2, 128, 192), 0.4);
    paintOverlay(document.createElement("canvas"), photo, indices, lut, alpha);
  }
}

// The display photo (the payload's JPEG), decoded once per answer off the main thread; its pixels are
// read at the size each map is drawn (photoAt), so a map costs the pixels it shows, not the JPEG's.
async function decodePhoto(jpeg) {
  const image = new Image();
  image.src = "data:image/jpeg;base64," + jpeg;
  await image.decode();
  return { image, width: image.naturalWidth, height: image.naturalHeight, sizes: new Map() };
}

// The photo's pixels at width x height (the browser's high-quality downscale), kept per size.
function photoAt(photo, width, height) {
  const key = `${width}x${height}`;
  if (!photo.sizes.has(key)) {
    const canvas = document.createElement("canvas");
    Object.assign(canvas, { width, height });
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.imageSmoothingQuality = "high";
    context.drawImage(photo.image, 0, 0, width, height);
    photo.sizes.set(key, context.getImageData(0, 0, width, height));
  }
  return photo.sizes.get(key);
}

// Device pixels a map shows (its CSS width x the pixel ratio), at most the photo's own width; the height
// keeps the photo's aspect ratio. A canvas not laid out (in a hidden tab) is drawn at the photo's size.
function drawingSize(cssWidth, photo) {
  const shown = Math.round(cssWidth * (window.devicePixelRatio || 1));
  const width = shown > 0 ? Math.min(shown, photo.width) : photo.width;
  return [width, Math.max(1, Math.round((width * photo.height) / photo.width))];
}

// Where the query sits on a map: a ring over the canvas (CSS), so the canvas keeps the pure overlay.
function placeMarker(marker, query) {
  marker.hidden = false;
  marker.style.left = `${query[0] * 100}%`;
  marker.style.top = `${query[1] * 100}%`;
}

// Maps outside the viewport (with a margin) wait for idle time, as many per callback as its deadline
// allows (at least one, and within 100 ms even on a busy page), so a control change repaints only what is
// on screen before the next frame; a newer change replaces the waiting list.
function onScreen(map, margin = 100) {
  const box = map.figure.getBoundingClientRect();
  return box.bottom > -margin && box.top < window.innerHeight + margin;
}
const whenIdle = window.requestIdleCallback || ((callback) => setTimeout(callback, 1));
function paintWhenIdle(maps, paint) {
  paintWhenIdle.waiting = maps;
  const next = (deadline) => {
    do {
      const map = paintWhenIdle.waiting.shift();
      if (!map) return;
      paint(map);
    } while (deadline?.timeRemaining && deadline.timeRemaining() > 12);
    if (paintWhenIdle.waiting.length) whenIdle(next, { timeout: 100 });
  };
  if (maps.length) whenIdle(next, { timeout: 100 });
}
paintWhenIdle.waiting = [];
paintWhenIdle.flush = (paint) => paintWhenIdle.waiting.splice(0).forEach(paint);

// An ImageData as a PNG data URL (tests compare the photo a map was blended on with Python's overlay).
function imageDataURL(pixels) {
  const canvas = document.createElement("canvas");
  Object.assign(canvas, { width: pixels.width, height: pixels.height });
  canvas.getContext("2d").putImageData(pixels, 0, 0);
  return canvas.toDataURL("image/png");
}
