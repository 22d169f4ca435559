import { gaussian, type Rng } from '../random';

/**
 * PatchCore's greedy (k-center) coreset: repeatedly take the patch farthest from everything
 * taken so far. The bank then covers the same feature space as all normal patches with a tenth
 * of the rows, which keeps the nearest-neighbour search (and the model file) small while the
 * distances, and so the scores, barely change.
 *
 * Distances for the selection are measured after a random projection to `projectDims`, as in
 * PatchCore (Johnson-Lindenstrauss keeps them close), which makes the O(n * k) loop affordable.
 */
export function greedyCoreset(rows: Float32Array, dims: number, k: number, rng: Rng, projectDims = 32): Uint32Array {
  const n = rows.length / dims;
  if (k >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  const p = Math.min(dims, projectDims);
  const projected = project(rows, n, dims, p, rng);
  const selected = new Uint32Array(k);
  const minDist = new Float32Array(n).fill(Infinity);
  let current = Math.floor(rng() * n);
  for (let s = 0; s < k; s++) {
    selected[s] = current;
    const c = current * p;
    let best = -1;
    let bestDist = -1;
    for (let i = 0, o = 0; i < n; i++, o += p) {
      let d = 0;
      for (let j = 0; j < p; j++) {
        const diff = projected[o + j] - projected[c + j];
        d += diff * diff;
      }
      if (d < minDist[i]) minDist[i] = d;
      if (minDist[i] > bestDist) {
        bestDist = minDist[i];
        best = i;
      }
    }
    current = best;
  }
  return selected;
}

function project(rows: Float32Array, n: number, dims: number, p: number, rng: Rng): Float32Array {
  if (p === dims) return rows;
  const m = new Float32Array(dims * p);
  for (let i = 0; i < m.length; i++) m[i] = gaussian(rng) / Math.sqrt(p);
  const out = new Float32Array(n * p);
  for (let i = 0; i < n; i++) {
    const ro = i * dims;
    const oo = i * p;
    for (let k = 0; k < dims; k++) {
      const v = rows[ro + k];
      if (v === 0) continue;
      const mo = k * p;
      for (let j = 0; j < p; j++) out[oo + j] += v * m[mo + j];
    }
  }
  return out;
}

/** Copies the chosen rows into a new contiguous bank. */
export function takeRows(rows: Float32Array, dims: number, indices: Uint32Array): Float32Array {
  const out = new Float32Array(indices.length * dims);
  for (let i = 0; i < indices.length; i++) out.set(rows.subarray(indices[i] * dims, (indices[i] + 1) * dims), i * dims);
  return out;
}
