import { performance } from 'node:perf_hooks';
import { concatArrays } from './arrays';
import { entryMaskLabels } from './dataset/masks';
import { readImage } from './dataset/read-entry';
import type { DatasetEntry } from './dataset/types';
import type { Detector } from './load-detector';
import { auroc, confusionAt, pixelAuroc, quantile } from './metrics';
import { pixelMap } from './segmentation';

export interface EvaluationReport {
  images: { normal: number; anomaly: number };
  imageAuroc: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  pixelAuroc: number | null;
  latencyMs: { p50: number; p95: number };
  threshold: number;
}

/**
 * Scores labelled images through the same `detect` a server runs, so the figures include
 * decoding and describe what a client would see.
 */
export async function evaluateModel(
  model: Detector,
  entries: DatasetEntry[],
  progress: (p: { done: number; total: number }) => void = () => {},
  sensitivity = model.sensitivity,
): Promise<EvaluationReport> {
  const threshold = model.calibration(sensitivity).threshold;
  const normal: number[] = [];
  const anomaly: number[] = [];
  const latencies: number[] = [];
  const pixelScores: Float32Array[] = [];
  const pixelLabels: Uint8Array[] = [];
  const classes = model.header.segmentation?.classes;
  const input = model.header.input;
  const withMasks = classes !== undefined && entries.some((e) => e.mask);
  for (const e of entries) {
    const bytes = await readImage(e);
    const t = performance.now();
    const r = await model.detect(bytes, undefined, { sensitivity });
    latencies.push(performance.now() - t);
    (e.label === 'normal' ? normal : anomaly).push(r.score);
    if (withMasks && (e.label === 'normal' || e.mask)) {
      pixelScores.push(pixelMap(r.anomalyMap, input).data);
      pixelLabels.push(
        e.mask
          ? (await entryMaskLabels(e, undefined, classes!, r.image, r.anomalyMap.roi, input)).map((v) => (v ? 1 : 0))
          : new Uint8Array(input.width * input.height),
      );
    }
    progress({ done: latencies.length, total: entries.length });
  }
  return {
    images: { normal: normal.length, anomaly: anomaly.length },
    imageAuroc: auroc(normal, anomaly),
    ...confusionAt(normal, anomaly, threshold),
    pixelAuroc: pixelScores.length
      ? pixelAuroc(
          concatArrays(pixelScores, (n) => new Float32Array(n)),
          concatArrays(pixelLabels, (n) => new Uint8Array(n)),
        )
      : null,
    latencyMs: latencies.length ? { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95) } : { p50: 0, p95: 0 },
    threshold,
  };
}
