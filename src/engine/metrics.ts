/**
 * Evaluation figures Lookout for Vision reported for a trained model (precision, recall, F1 on
 * the test images) plus the ranking measures the anomaly-detection literature uses (image and
 * pixel AUROC), computed the same way in training, `eval` and the benchmark.
 */

/** Area under the ROC curve by the rank-sum (Mann-Whitney) formula, ties counted as one half. */
export function auroc(negatives: ArrayLike<number>, positives: ArrayLike<number>): number | null {
  const n0 = negatives.length;
  const n1 = positives.length;
  if (n0 === 0 || n1 === 0) return null;
  const all: [number, number][] = [];
  for (let i = 0; i < n0; i++) all.push([negatives[i], 0]);
  for (let i = 0; i < n1; i++) all.push([positives[i], 1]);
  all.sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j][0] === all[i][0]) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k][1] === 1) rankSum += avgRank;
    i = j;
  }
  return (rankSum - (n1 * (n1 + 1)) / 2) / (n0 * n1);
}

/** Histograms of positive and negative scores over the observed range (pixels are many). */
function labelHistogram(scores: Float32Array, labels: Uint8Array, bins: number) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] < lo) lo = scores[i];
    if (scores[i] > hi) hi = scores[i];
  }
  const pos = new Float64Array(bins);
  const neg = new Float64Array(bins);
  const scale = hi > lo ? (bins - 1) / (hi - lo) : 0;
  let np = 0;
  let nn = 0;
  for (let i = 0; i < scores.length; i++) {
    const b = Math.floor((scores[i] - lo) * scale);
    if (labels[i]) {
      pos[b]++;
      np++;
    } else {
      neg[b]++;
      nn++;
    }
  }
  return { lo, scale, pos, neg, np, nn };
}

/**
 * AUROC over many pixels by histogram: exact sorting of millions of values is slow and
 * unnecessary; 4096 bins over the observed range change the figure by well under 0.001.
 */
export function pixelAuroc(scores: Float32Array, labels: Uint8Array, bins = 4096): number | null {
  const { pos, neg, np, nn } = labelHistogram(scores, labels, bins);
  if (!np || !nn) return null;
  let area = 0;
  let negBelow = 0;
  for (let b = 0; b < bins; b++) {
    area += pos[b] * (negBelow + neg[b] / 2);
    negBelow += neg[b];
  }
  return area / (np * nn);
}

export interface Confusion {
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

export function confusionAt(negatives: number[], positives: number[], threshold: number): Confusion {
  const tp = positives.filter((s) => s >= threshold).length;
  const fp = negatives.filter((s) => s >= threshold).length;
  const fn = positives.length - tp;
  const precision = tp + fp ? tp / (tp + fp) : null;
  const recall = positives.length ? tp / (tp + fn) : null;
  const f1 =
    precision !== null && recall !== null && precision + recall > 0
      ? (2 * precision * recall) / (precision + recall)
      : precision === null && recall === null
        ? null
        : 0;
  return { precision, recall, f1 };
}

/**
 * The threshold with the best F1 over all cut points, placed halfway between neighbouring
 * scores so it generalises to scores just either side. Ties favour the higher threshold.
 * `negativeWeights` (default 1 each) let some negatives count for less than a whole image.
 */
export function bestF1Threshold(negatives: number[], positives: number[], negativeWeights?: number[]): { threshold: number; f1: number } {
  const all = [...negatives, ...positives].sort((a, b) => a - b);
  let best = { threshold: all[all.length - 1] * 1.01, f1: -1 };
  for (let i = 0; i < all.length; i++) {
    const t = i === 0 ? all[0] : (all[i - 1] + all[i]) / 2;
    const tp = positives.filter((s) => s >= t).length;
    const fp = negatives.reduce((sum, s, j) => sum + (s >= t ? (negativeWeights?.[j] ?? 1) : 0), 0);
    const f1 = (2 * tp) / (2 * tp + fp + (positives.length - tp));
    if (f1 >= best.f1) best = { threshold: t, f1 };
  }
  return best;
}

export function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** The pixel threshold with the best F1 over a histogram of cut points (pixels are many). */
export function bestPixelThreshold(scores: Float32Array, labels: Uint8Array, bins = 1024): number | null {
  const { lo, scale, pos, neg, np } = labelHistogram(scores, labels, bins);
  if (!scale || !np) return null;
  // Sweep from the top: everything in bins >= b is called anomalous.
  let tp = 0;
  let fp = 0;
  let best = { f1: -1, bin: bins - 1 };
  for (let b = bins - 1; b >= 0; b--) {
    tp += pos[b];
    fp += neg[b];
    const f1 = (2 * tp) / (2 * tp + fp + (np - tp));
    if (f1 > best.f1) best = { f1, bin: b };
  }
  return lo + best.bin / scale;
}
