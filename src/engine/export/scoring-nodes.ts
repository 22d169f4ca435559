import { gaussianKernel, squaredNorms } from '../scoring/anomaly-map';
import type { ScoringMethod } from '../scoring/image-score';
import type { GraphBuilder } from '../onnx/graph-builder';

/**
 * The server's scoring as ONNX nodes (opset 18: reductions take their axes as inputs), after the
 * feature head: nearest-neighbour distance per patch (scoring/knn.ts, the same Gemm), the
 * Gaussian blur with clamped edges (anomaly-map.ts: edge padding, then two 1-D convolutions),
 * the image score (image-score.ts), and the verdict and confidence (calibration.ts).
 */

export interface Grid {
  channels: number;
  height: number;
  width: number;
}

/**
 * ||q - r||^2 - ||q||^2 = ||r||^2 - 2 r.q for every query column of `queries` ([dims, n]) and
 * every row of `rows` ([count, dims]), as [n, count]: one Gemm against the rows stored transposed
 * and scaled by -2 (scoring/knn.ts does the same). The query norm is constant per query, so a
 * nearest row is found without it.
 */
function partialSquaredDistances(g: GraphBuilder, queries: string, rows: Float32Array, dims: number, name: string): string {
  const count = rows.length / dims;
  const scaledT = new Float32Array(rows.length);
  for (let r = 0; r < count; r++) for (let k = 0; k < dims; k++) scaledT[k * count + r] = -2 * rows[r * dims + k];
  const weights = g.floats(`${name}_t_times_minus_two`, [dims, count], scaledT);
  return g.op('Gemm', [queries, weights, g.floats(`${name}_norms`, [1, count], squaredNorms(rows, dims))], { transA: 1 });
}

/** Patch features [1, C, gh, gw] -> nearest-bank distances [1, 1, gh, gw]. */
export function nearestDistances(g: GraphBuilder, features: string, grid: Grid, bank: Float32Array): { distances: string; queries: string } {
  const queries = g.op('Reshape', [features, g.ints('cn', [grid.channels, -1])]);
  const nearest = g.op('ReduceMin', [partialSquaredDistances(g, queries, bank, grid.channels, 'bank'), g.ints('bank_axis', [1])], { keepdims: 0 });
  const qn = g.op('ReduceSumSquare', [queries, g.ints('channel_axis', [0])], { keepdims: 0 });
  const d = g.op('Sqrt', [g.op('Clip', [g.op('Add', [nearest, qn]), g.floats('zero', [], [0])])]);
  return { distances: g.op('Reshape', [d, g.ints('grid', [1, 1, grid.height, grid.width])]), queries };
}

/** gaussianBlur: the same kernel, edges clamped (edge padding), rows then columns. */
export function blur(g: GraphBuilder, map: string, sigma: number): string {
  if (sigma <= 0) return map;
  const kernel = gaussianKernel(sigma);
  const radius = (kernel.length - 1) / 2;
  const padded = g.op('Pad', [map, g.ints('pads', [0, 0, radius, radius, 0, 0, radius, radius])], { mode: 'edge' });
  const rows = g.op('Conv', [padded, g.floats('blur_x', [1, 1, 1, kernel.length], kernel)]);
  return g.op('Conv', [rows, g.floats('blur_y', [1, 1, kernel.length, 1], kernel)]);
}

/** scoreDistances: the image score [1] from the distances and their blurred map. */
export function imageScore(g: GraphBuilder, distances: string, map: string, method: ScoringMethod, cells: number): string {
  if (method.kind === 'max') return g.op('Reshape', [g.op('ReduceMax', [map], { keepdims: 0 }), g.ints('one', [1])]);
  const contrast = g.op('Reshape', [g.op('Sub', [map, blur(g, distances, method.baselineSigma)]), g.ints('flat', [-1])]);
  // topMean: the top k cells, k fixed by the grid, which the input size fixes.
  const k = Math.max(1, Math.round(cells * method.topFraction));
  const [top] = g.opOutputs('TopK', [contrast, g.ints('k', [k])], 2, { axis: 0, largest: 1, sorted: 0 });
  return g.op('ReduceMean', [top, g.ints('top_axis', [0])], { keepdims: 1 });
}

/** verdict: anomalous at or above the threshold; confidence in the verdict from the logistic. */
export function judge(g: GraphBuilder, score: string, threshold: string, temperature: number): { isAnomalous: string; confidence: string } {
  const p = g.op('Sigmoid', [g.op('Div', [g.op('Sub', [score, threshold]), g.floats('temperature', [], [temperature])])]);
  const isAnomalous = g.op('GreaterOrEqual', [score, threshold], {}, 'is_anomalous');
  const confidence = g.op('Where', [isAnomalous, p, g.op('Sub', [g.floats('one_f', [], [1]), p])], {}, 'confidence');
  return { isAnomalous, confidence };
}

/** nearestClassPerCell: 1 + the nearest type prototype of each cell, [gh, gw] int64. */
export function classMap(g: GraphBuilder, queries: string, grid: Grid, prototypes: Float32Array): string {
  const d2 = partialSquaredDistances(g, queries, prototypes, grid.channels, 'prototypes');
  const nearest = g.op('Add', [g.op('ArgMin', [d2], { axis: 1, keepdims: 0, select_last_index: 0 }), g.ints('first_type', [1])]);
  return g.op('Reshape', [nearest, g.ints('class_grid', [grid.height, grid.width])], {}, 'anomaly_class');
}
