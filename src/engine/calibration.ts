import { bestF1Threshold, quantile } from './metrics';

/**
 * Turns raw anomaly scores into Lookout for Vision's two outputs: a verdict and a confidence in
 * that verdict. P(anomalous) = sigmoid((score - threshold) / temperature), so a score at the
 * threshold is a coin toss (confidence 0.5 either way) and scores far from it approach 1.
 *
 * Both numbers are fitted on scores of images the memory bank did not learn from: held-out
 * normals, and labelled anomalies where the dataset has them.
 */

export interface Calibration {
  threshold: number;
  temperature: number;
}

/** Margin over the highest held-out normal when no anomalies are labelled. */
const NORMAL_ONLY_MARGIN = 1.1;

export function calibrate(normalScores: number[], anomalyScores: number[]): Calibration {
  if (normalScores.length === 0) throw new Error('calibration needs held-out normal scores');
  const threshold = anomalyScores.length
    ? bestF1Threshold(normalScores, anomalyScores).threshold
    : Math.max(...normalScores) * NORMAL_ONLY_MARGIN;
  return { threshold, temperature: fitTemperature(normalScores, anomalyScores, threshold) };
}

/**
 * With both classes: the temperature of maximum likelihood (a 1-D logistic regression whose
 * centre is pinned at the threshold). With normals only: the temperature at which the median
 * held-out normal gets 95 % confidence of being normal.
 */
function fitTemperature(normal: number[], anomaly: number[], threshold: number): number {
  const spread = Math.max(threshold - quantile(normal, 0.5), threshold * 0.02);
  const fromNormals = spread / Math.log(19);
  if (!anomaly.length) return fromNormals;
  let best = { t: fromNormals, ll: -Infinity };
  for (let k = -40; k <= 40; k++) {
    const t = fromNormals * Math.pow(2, k / 8);
    let ll = 0;
    for (const s of normal) ll += logSigmoid(-(s - threshold) / t);
    for (const s of anomaly) ll += logSigmoid((s - threshold) / t);
    if (ll > best.ll) best = { t, ll };
  }
  return best.t;
}

function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

export function verdict(score: number, c: Calibration): { isAnomalous: boolean; confidence: number } {
  const p = 1 / (1 + Math.exp(-(score - c.threshold) / c.temperature));
  const isAnomalous = score >= c.threshold;
  return { isAnomalous, confidence: isAnomalous ? p : 1 - p };
}
