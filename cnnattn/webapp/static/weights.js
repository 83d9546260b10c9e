// Attention weights from the payload's raw arrays, and their bilinear upsampling: the browser's copy
// of cnnattn.payload.weights_from_payload and cnnattn.maps.upsample (float32 steps, half-pixel centres).

const f32 = Math.fround;

function decodeBytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function decodeArray(text) {
  return new Float32Array(decodeBytes(text).buffer);  // little-endian float32, as the payload writes it
}

function gridCell(query, grid) {
  const [x, y] = query;
  const [h, w] = grid;
  return Math.min(Math.floor(y * h), h - 1) * w + Math.min(Math.floor(x * w), w - 1);
}

function softmax(logits) {
  // float64 like numpy, then float32 like the arrays Python upsamples.
  let top = -Infinity;
  for (const v of logits) top = Math.max(top, v);
  const exps = logits.map((v) => Math.exp(v - top));
  let total = 0;
  for (const v of exps) total += v;
  return Float32Array.from(exps, (v) => v / total);
}

// (h*w) float32 weights of map `index` of one payload entry at temperature T and query (x, y).
function headWeights(entry, index, temperature, query) {
  const [h, w] = entry.grid;
  const n = h * w;
  const arrays = entry._arrays || (entry._arrays = {});
  const array = (name) => arrays[name] || (arrays[name] = decodeArray(entry[name]));
  const logits = new Array(n);
  if (entry.form === "position") {
    const scores = array("scores");
    for (let p = 0; p < n; p++) logits[p] = scores[index * n + p] / temperature;
    return softmax(logits);
  }
  const cell = gridCell(query, entry.grid);
  if (entry.encoding === "rows") {
    const rows = array("rows");
    const start = (index * n + cell) * n;
    for (let p = 0; p < n; p++) logits[p] = rows[start + p] / temperature;
    return softmax(logits);
  }
  const d = entry.shape[2];
  const queries = array("queries");
  const keys = entry.keys ? array("keys") : queries;
  const q = index * n * d + cell * d;
  for (let p = 0; p < n; p++) {
    let dot = 0;
    const k = index * n * d + p * d;
    for (let c = 0; c < d; c++) dot += keys[k + c] * queries[q + c];
    logits[p] = (dot * entry.scale) / temperature;
  }
  return softmax(logits);
}

// Source index, neighbour offset and the two weights for each output pixel along one axis.
function axisCoefficients(inputSize, outputSize) {
  const scale = f32(inputSize / outputSize);
  const first = new Int32Array(outputSize);
  const step = new Int32Array(outputSize);
  const near = new Float32Array(outputSize);
  const far = new Float32Array(outputSize);
  for (let x = 0; x < outputSize; x++) {
    let source = f32(f32(scale * f32(x + 0.5)) - 0.5);
    if (source < 0) source = 0;
    const i0 = Math.floor(source);
    const lambda = Math.min(f32(source - i0), 1);
    first[x] = i0;
    step[x] = i0 < inputSize - 1 ? 1 : 0;
    far[x] = lambda;
    near[x] = f32(1 - lambda);
  }
  return { first, step, near, far };
}

// (h, w) grid -> (height, width) float32, as torch's bilinear interpolation (align_corners=False).
function upsample(grid, h, w, height, width) {
  const ys = axisCoefficients(h, height);
  const xs = axisCoefficients(w, width);
  const out = new Float32Array(height * width);
  const rowTop = new Float32Array(width);
  const rowBottom = new Float32Array(width);
  const interpolateRow = (row, into) => {
    const base = row * w;
    for (let x = 0; x < width; x++) {
      const i = base + xs.first[x];
      into[x] = f32(f32(grid[i] * xs.near[x]) + f32(grid[i + xs.step[x]] * xs.far[x]));
    }
  };
  let cachedTop = -1;
  let cachedBottom = -1;
  for (let y = 0; y < height; y++) {
    const top = ys.first[y];
    const bottom = top + ys.step[y];
    if (top !== cachedTop) { interpolateRow(top, rowTop); cachedTop = top; }
    if (bottom !== cachedBottom) { interpolateRow(bottom, rowBottom); cachedBottom = bottom; }
    const a = ys.near[y];
    const b = ys.far[y];
    const offset = y * width;
    for (let x = 0; x < width; x++) out[offset + x] = f32(f32(rowTop[x] * a) + f32(rowBottom[x] * b));
  }
  return out;
}

// Colormap indices 0..255 of an upsampled map, as cnnattn.render.heatmap: clip(v / top * 255 + 0.5).
function lutIndices(values, top) {
  const scale = f32(Math.max(top, 1e-12));
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = f32(f32(f32(values[i] / scale) * 255) + 0.5);
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v);
  }
  return out;
}
