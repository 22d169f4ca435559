import { concatArrays } from '../arrays';
import type { FileAccess } from '../dataset/file-access';
import { entryMaskLabels } from '../dataset/masks';
import type { AnomalyClass, DatasetEntry } from '../dataset/types';
import { bestPixelThreshold } from '../metrics';
import type { ImageFeatures, PatchScores } from '../pipeline';
import { classPrototypes, labelsOnGrid, pixelMap } from '../segmentation';

/**
 * Segmentation from labelled masks: each anomaly type's prototype feature (which type an
 * anomalous patch is) and the pixel threshold (where the mask is drawn), F1-optimal over the
 * masked training anomalies' pixels.
 */
export interface FittedSegmentation {
  pixelThreshold: number;
  prototypes: Float32Array;
}

export async function fitSegmentation(
  masked: { entry: DatasetEntry; features: ImageFeatures; scored: PatchScores }[],
  classes: AnomalyClass[],
  input: { width: number; height: number },
  dims: number,
  fallbackThreshold: number,
  files?: FileAccess,
): Promise<FittedSegmentation> {
  const samples = [];
  const pixelScores: Float32Array[] = [];
  const pixelLabels: Uint8Array[] = [];
  for (const { entry, features: f, scored } of masked) {
    const labels = await entryMaskLabels(entry, files, classes, f.header, f.roi, input);
    const grid = { width: f.features.width, height: f.features.height };
    samples.push({ features: f.features, cellLabels: labelsOnGrid(labels, input, grid, classes.length) });
    pixelScores.push(pixelMap(scored.grid, input).data);
    pixelLabels.push(labels.map((v) => (v ? 1 : 0)));
  }
  const prototypes = classPrototypes(samples, classes.length, dims);
  const pixelThreshold =
    bestPixelThreshold(
      concatArrays(pixelScores, (n) => new Float32Array(n)),
      concatArrays(pixelLabels, (n) => new Uint8Array(n)),
    ) ?? fallbackThreshold;
  return { pixelThreshold, prototypes };
}
