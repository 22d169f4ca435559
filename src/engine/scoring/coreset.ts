import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../onnx/graph-builder';
import { sessionOptions } from '../onnx/session';
import { gaussian, type Rng } from '../random';
import { squaredNorms } from './anomaly-map';

/**
 * PatchCore's greedy (k-center) coreset: repeatedly take the patch farthest from everything
 * taken so far. The bank then covers the same feature space as all normal patches with a tenth
 * of the rows, which keeps the nearest-neighbour search (and the model file) small while the
 * distances, and so the scores, barely change.
 *
 * Distances for the selection are measured after a random projection to `projectDims`, as in
 * PatchCore (Johnson-Lindenstrauss keeps them close).
 *
 * The textbook loop updates every row's distance after each pick: n * k * p work in single-
 * threaded JS (9-37 s for 30k x 3k, minutes for a pool grown by rotated copies). Here picks are
 * taken in batches that give exactly the textbook selection: the rows whose distance exceeds the
 * (m+1)-th largest are candidates, and since distances only shrink as centres are added, a
 * candidate that still beats that cut-off after the batch's earlier picks is farther than any
 * row outside the batch, so it is the next greedy pick. Only the candidates are updated in JS;
 * every row is updated once per batch by one matrix product in ORT. Ties aside, the selection
 * is the same as the one-at-a-time loop.
 */
export async function greedyCoreset(rows: Float32Array, dims: number, k: number, rng: Rng, projectDims = 32): Promise<Uint32Array> {
  const n = rows.length / dims;
  if (k >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  const p = Math.min(dims, projectDims);
  const projected = project(rows, n, dims, p, rng);
  const updater = await DistanceUpdater.create(projected, n, p);
  try {
    const selected = new Uint32Array(k);
    const minDist = new Float32Array(n).fill(Infinity);
    const candidatesPerBatch = Math.min(n, CANDIDATES);
    const first = Math.floor(rng() * n);
    let count = 0;
    // The first centre has no distances to beat; it is its own batch.
    selected[count++] = first;
    await updater.update(projected, [first], minDist);
    while (count < k) {
      const { candidates, cutoff } = topCandidates(minDist, candidatesPerBatch);
      if (!candidates.length) {
        // Every row left duplicates a chosen one (k exceeds the distinct rows): any of them will do.
        fillWithUnchosen(selected, count, n);
        break;
      }
      const local = Float32Array.from(candidates, (i) => minDist[i]);
      const batch: number[] = [];
      while (count < k) {
        let best = -1;
        for (let c = 0; c < candidates.length; c++) if (local[c] >= 0 && (best < 0 || local[c] > local[best])) best = c;
        // Past the cut-off a row outside the batch may be farther: refresh every row first.
        if (best < 0 || (batch.length > 0 && local[best] < cutoff)) break;
        const chosen = candidates[best];
        selected[count++] = chosen;
        batch.push(chosen);
        local[best] = -1;
        const co = chosen * p;
        for (let c = 0; c < candidates.length; c++) {
          if (local[c] < 0) continue;
          const o = candidates[c] * p;
          let d = 0;
          for (let j = 0; j < p; j++) {
            const diff = projected[o + j] - projected[co + j];
            d += diff * diff;
          }
          if (d < local[c]) local[c] = d;
        }
      }
      await updater.update(projected, batch, minDist);
    }
    return selected;
  } finally {
    await updater.release();
  }
}

function fillWithUnchosen(selected: Uint32Array, count: number, n: number): void {
  const taken = new Uint8Array(n);
  for (let i = 0; i < count; i++) taken[selected[i]] = 1;
  for (let i = 0; i < n && count < selected.length; i++) if (!taken[i]) selected[count++] = i;
}

/** The `m` rows farthest from the selection, and the distance of the next one (the cut-off). */
function topCandidates(minDist: Float32Array, m: number): { candidates: Uint32Array; cutoff: number } {
  const sorted = Float32Array.from(minDist).sort();
  const cutoff = m < sorted.length ? sorted[sorted.length - m - 1] : -Infinity;
  const threshold = sorted[sorted.length - m];
  const out: number[] = [];
  for (let i = 0; i < minDist.length && out.length < m; i++) if (minDist[i] >= threshold && minDist[i] > 0) out.push(i);
  return { candidates: Uint32Array.from(out), cutoff };
}

/**
 * Measured on 65k x 120 rows, k = 9000, 2 cores: 512 candidates 3.1 s, 1024 4.2 s (the JS
 * updates among candidates grow), and slices of 16-256 centres all within 10 % (3.9-4.5 s before
 * the candidate change); the one-at-a-time loop would take minutes.
 */
const CANDIDATES = 512;
const UPDATE_SLICE = 64;

/**
 * minDist[i] = min(minDist[i], min over new centres c of |x_i - c|^2), with the projected pool
 * baked into an ORT graph: |x|^2 - 2 x.c + |c|^2 as one Gemm and a ReduceMin.
 */
class DistanceUpdater {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly p: number,
  ) {}

  static async create(projected: Float32Array, n: number, p: number): Promise<DistanceUpdater> {
    const norms = squaredNorms(projected, p);
    const g = new GraphBuilder('coreset_update');
    const centres = g.input('centres_times_minus_two', ['b', p]);
    const centreNorms = g.input('centre_norms', [1, 'b']);
    const pool = g.floats('pool', [n, p], projected);
    const partial = g.op('Gemm', [pool, centres, centreNorms], { transB: 1 });
    const nearest = g.op('ReduceMin', [partial], { axes: [1], keepdims: 0 });
    g.op('Add', [nearest, g.floats('pool_norms', [n], norms)], {}, 'distance');
    g.output('distance', [n]);
    return new DistanceUpdater(await ort.InferenceSession.create(g.toBytes(), sessionOptions()), p);
  }

  /**
   * Centres go through in slices: the product is [rows, slice] floats, and past ~100 columns it
   * no longer fits the caches, so larger slices cost more per centre, not less.
   */
  async update(projected: Float32Array, batch: number[], minDist: Float32Array): Promise<void> {
    for (let start = 0; start < batch.length; start += UPDATE_SLICE) await this.updateSlice(projected, batch.slice(start, start + UPDATE_SLICE), minDist);
    for (const row of batch) minDist[row] = 0;
  }

  private async updateSlice(projected: Float32Array, batch: number[], minDist: Float32Array): Promise<void> {
    const p = this.p;
    const c = new Float32Array(batch.length * p);
    const cn = new Float32Array(batch.length);
    batch.forEach((row, b) => {
      for (let j = 0; j < p; j++) {
        const v = projected[row * p + j];
        c[b * p + j] = -2 * v;
        cn[b] += v * v;
      }
    });
    const out = await this.session.run({
      centres_times_minus_two: new ort.Tensor('float32', c, [batch.length, p]),
      centre_norms: new ort.Tensor('float32', cn, [1, batch.length]),
    });
    const d = out.distance.data as Float32Array;
    for (let i = 0; i < minDist.length; i++) {
      // Rounding leaves tiny negatives at a centre itself; zero keeps it from being picked again.
      const v = d[i] > 0 ? d[i] : 0;
      if (v < minDist[i]) minDist[i] = v;
    }
  }

  release(): Promise<void> {
    return this.session.release();
  }
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
