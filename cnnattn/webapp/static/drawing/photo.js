// The display photo (the payload's JPEG): decoded once per answer, its pixels read at each map's size.
// Python twin: cnnattn/payload.py display_photo (the photo the maps are blended on).

// Decoded off the main thread; its pixels are read at the size each map is drawn (photoAt), so a map
// costs the pixels it shows, not the JPEG's.
export async function decodePhoto(jpeg) {
  const image = new Image();
  image.src = "data:image/jpeg;base64," + jpeg;
  await image.decode();
  return { image, width: image.naturalWidth, height: image.naturalHeight, sizes: new Map() };
}

// The photo's pixels at width x height (the browser's high-quality downscale), kept per size.
export function photoAt(photo, width, height) {
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
export function drawingSize(cssWidth, photo, pixelRatio = window.devicePixelRatio || 1) {
  const shown = Math.round(cssWidth * pixelRatio);
  const width = shown > 0 ? Math.min(shown, photo.width) : photo.width;
  return [width, Math.max(1, Math.round((width * photo.height) / photo.width))];
}

// An ImageData as a PNG data URL (tests compare the photo a map was blended on with Python's overlay).
export function imageDataURL(pixels) {
  const canvas = document.createElement("canvas");
  Object.assign(canvas, { width: pixels.width, height: pixels.height });
  canvas.getContext("2d").putImageData(pixels, 0, 0);
  return canvas.toDataURL("image/png");
}
