// Bilinear upsampling of a weight grid to the size a map is drawn at, in torch's float32 steps.
// Python twin: cnnattn/maps.py upsample (F.interpolate, bilinear, align_corners=False, half-pixel centres).

const f32 = Math.fround;

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

// (h, w) grid -> (height, width) float32.
export function upsample(grid, h, w, height, width) {
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
