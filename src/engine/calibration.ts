import { bestF1Threshold, confusionAt, quantile } from './metrics';

/**
 * Turns raw anomaly scores into Lookout for Vision's two outputs: a verdict and a confidence in
 * that verdict. P(anomalous) = sigmoid((score - threshold) / temperature), so a score at the
 * threshold is a coin toss (confidence 0.5 either way) and scores far from it approach 1.
 *
 * Both numbers are fitted on scores of images the memory bank did not learn from: held-out
 * normals, the same normals as a new capture session would show them (light and framing, and
 * rotation for parts in any orientation: calibrationVariations), and labelled anomalies where
 * the dataset has them.
 *
 * The session variations stop the threshold from fitting one afternoon's photographs. Measured
 * in CV on cookies with the local-contrast score: ignored, the shift suite's normals were flagged
 * 28 % of the time (F1 0.92); counted as full normals, 12 % but the threshold rose above many
 * anomalies (F1 0.81); weighted so that each normal's variations together count as much as the
 * normal itself, and limited to light and framing, 17 % at F1 0.89.
 */

export interface Calibration {
  threshold: number;
  temperature: number;
  /** Threshold minus the median held-out normal score: the scale sensitivities move along. */
  spread?: number;
}

/** Margin over the highest held-out normal when no anomalies are labelled. */
const NORMAL_ONLY_MARGIN = 1.1;

/**
 * With normals only, the threshold also clears this share of their session variations: the
 * median, so that a variation that happens to wreck one image (a shift that mirrors a stripe
 * into a seam) cannot lift the threshold over every anomaly.
 */
const NORMAL_ONLY_SESSION_QUANTILE = 0.5;

export function calibrate(normalScores: number[], anomalyScores: number[], sessionScores: number[] = []): Calibration {
  if (normalScores.length === 0) throw new Error('calibration needs held-out normal scores');
  const sessionWeight = sessionScores.length ? normalScores.length / sessionScores.length : 0;
  const weights = [...normalScores.map(() => 1), ...sessionScores.map(() => sessionWeight)];
  const threshold = anomalyScores.length
    ? bestF1Threshold([...normalScores, ...sessionScores], anomalyScores, weights).threshold
    : Math.max(Math.max(...normalScores) * NORMAL_ONLY_MARGIN, sessionScores.length ? quantile(sessionScores, NORMAL_ONLY_SESSION_QUANTILE) : -Infinity);
  return { threshold, temperature: fitTemperature(normalScores, anomalyScores, threshold), spread: spreadOf(normalScores, threshold) };
}

function spreadOf(normal: number[], threshold: number): number {
  return Math.max(threshold - quantile(normal, 0.5), Math.abs(threshold) * 0.02, 1e-6);
}

/**
 * With both classes: the temperature of maximum likelihood (a 1-D logistic regression whose
 * centre is pinned at the threshold). With normals only: the temperature at which the median
 * held-out normal gets 95 % confidence of being normal.
 */
function fitTemperature(normal: number[], anomaly: number[], threshold: number): number {
  const fromNormals = spreadOf(normal, threshold) / Math.log(19);
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

/**
 * Moves the decision after training. Sensitivity lies strictly between 0 and 1; 0.5 is the
 * calibrated threshold, and the threshold moves linearly with it across the span from a typical
 * held-out normal to the threshold: 1 would flag an image as soon as it scores like the median
 * normal, 0 only at twice that distance above the threshold. The span is the model's own, so
 * 0.7 means the same on every model whatever its score's units. (A cut-off on the confidence
 * would not: where anomalies are well separated the fitted temperature is tiny, and every
 * sensitivity from 0.01 to 0.99 moved the threshold by less than the noise.)
 */
export const DEFAULT_SENSITIVITY = 0.5;

export function atSensitivity(c: Calibration, sensitivity: number): Calibration {
  if (!(sensitivity > 0 && sensitivity < 1)) throw new RangeError('sensitivity must lie strictly between 0 and 1');
  if (sensitivity === DEFAULT_SENSITIVITY) return c;
  // Format-1 models did not record the span; the logistic's 5 %-95 % width stands in for it.
  const span = c.spread ?? c.temperature * 2 * Math.log(19);
  return { ...c, threshold: c.threshold - (2 * sensitivity - 1) * span };
}

/** What a sensitivity implies on the model's test images: its threshold, precision and recall. */
/** A model's decision rule at a sensitivity, from its header (trained or imported alike). */
export function modelCalibration(header: { threshold: number; confidence: { temperature: number; spread?: number } }, sensitivity: number): Calibration {
  return atSensitivity({ threshold: header.threshold, ...header.confidence }, sensitivity);
}

export function impliedPerformance(c: Calibration, sensitivity: number, testScores: { normal: number[]; anomaly: number[] } | undefined) {
  const at = atSensitivity(c, sensitivity);
  const confusion = testScores ? confusionAt(testScores.normal, testScores.anomaly, at.threshold) : { precision: null, recall: null, f1: null };
  return { sensitivity, threshold: at.threshold, ...confusion };
}
