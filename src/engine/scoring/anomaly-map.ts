/**
 * Small 2-D map operations on row-major Float32Arrays. They run in JS because the maps are small
 * (a grid of patches, or one float per output pixel) and each pass is linear in their size.
 */

export interface Map2D {
  width: number;
  height: number;
  data: Float32Array;
}

/** The normalised 1-D kernel gaussianBlur uses (an exported graph's blur uses it too), 3 sigma each side. */
export function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  return kernel;
}

/** Separable Gaussian blur with edge clamping. PatchCore smooths its map the same way. */
export function gaussianBlur(map: Map2D, sigma: number): Map2D {
  if (sigma <= 0) return map;
  const kernel = gaussianKernel(sigma);
  const radius = (kernel.length - 1) / 2;
  const { width: w, height: h, data } = map;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) acc += kernel[k + radius] * data[y * w + Math.min(w - 1, Math.max(0, x + k))];
      tmp[y * w + x] = acc;
    }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) acc += kernel[k + radius] * tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x];
      out[y * w + x] = acc;
    }
  return { width: w, height: h, data: out };
}

/** Bilinear resize with half-pixel centres (grid cell centres map to pixel centres). */
export function resizeBilinear(map: Map2D, width: number, height: number): Map2D {
  const { width: sw, height: sh, data } = map;
  const out = new Float32Array(width * height);
  const sx = sw / width;
  const sy = sh / height;
  const x0s = new Int32Array(width);
  const x1s = new Int32Array(width);
  const fxs = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const fx = Math.min(sw - 1, Math.max(0, (x + 0.5) * sx - 0.5));
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(sw - 1, x0s[x] + 1);
    fxs[x] = fx - x0s[x];
  }
  for (let y = 0; y < height; y++) {
    const fy = Math.min(sh - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(sh - 1, y0 + 1);
    const wy = fy - y0;
    const r0 = y0 * sw;
    const r1 = y1 * sw;
    const o = y * width;
    for (let x = 0; x < width; x++) {
      const a = data[r0 + x0s[x]] + (data[r0 + x1s[x]] - data[r0 + x0s[x]]) * fxs[x];
      const b = data[r1 + x0s[x]] + (data[r1 + x1s[x]] - data[r1 + x0s[x]]) * fxs[x];
      out[o + x] = a + (b - a) * wy;
    }
  }
  return { width, height, data: out };
}

export function maxOf(data: Float32Array): number {
  let m = -Infinity;
  for (let i = 0; i < data.length; i++) if (data[i] > m) m = data[i];
  return m;
}

/** Patch-major rows ([n, channels]) from a channel-major feature map ([channels, n]). */
export function toRows(data: Float32Array, channels: number, n: number): Float32Array {
  const out = new Float32Array(n * channels);
  for (let c = 0; c < channels; c++) {
    const src = c * n;
    for (let i = 0; i < n; i++) out[i * channels + c] = data[src + i];
  }
  return out;
}

/** Squared Euclidean norm of each row of a patch-major [n, dims] matrix. */
export function squaredNorms(rows: Float32Array, dims: number): Float32Array {
  const n = rows.length / dims;
  const out = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let k = 0, o = r * dims; k < dims; k++, o++) s += rows[o] * rows[o];
    out[r] = s;
  }
  return out;
}
