import { varyPixels, type Variation } from './augment/variations';
import type { FeatureExtractor, FeatureMap } from './features/extractor';
import { decodeForModel, type Box } from './image/decode';
import type { ImageHeader, ImageLimits } from './image/image-header';
import type { Map2D } from './scoring/anomaly-map';
import { scoreDistances, type ScoringMethod } from './scoring/image-score';
import type { NearestNeighbourIndex } from './scoring/knn';

/**
 * The scoring path, shared by training (calibration, evaluation) and serving, so that a
 * threshold fitted at training means the same thing at detection time:
 * decode -> crop to the region of interest -> resize to the model's input -> patch features ->
 * nearest-neighbour distance per patch -> the image score and its map (scoring/image-score).
 */

export interface ScoringSetup {
  extractor: FeatureExtractor;
  input: { width: number; height: number };
  /** Fractions of the image; null = whole image. */
  roi: Box | null;
  blurSigma: number;
  method: ScoringMethod;
  limits: ImageLimits;
}

export interface ImageFeatures {
  features: FeatureMap;
  header: ImageHeader;
  /** The region in source pixels. */
  roi: Box;
}

export interface PatchScores {
  /** Blurred nearest-neighbour distances on the feature grid. */
  grid: Map2D;
  score: number;
}

export async function imageFeatures(setup: ScoringSetup, bytes: Uint8Array, autoOrient = false): Promise<ImageFeatures> {
  const img = await decodeForModel(bytes, setup.input, setup.roi, setup.limits, autoOrient);
  const features = await setup.extractor.extract(img);
  return { features, header: img.header, roi: img.roi };
}

/**
 * Features of an image as photographed and of variations of it (augment/variations), decoded
 * once: training's rotated bank copies, calibration's session changes and the orientation probe
 * vary the model-sized pixels, not the full photograph.
 */
export async function variedFeatures(
  setup: ScoringSetup,
  bytes: Uint8Array,
  variations: readonly Variation[],
): Promise<{ plain: ImageFeatures; varied: FeatureMap[] }> {
  const img = await decodeForModel(bytes, setup.input, setup.roi, setup.limits);
  const plain = { features: await setup.extractor.extract(img), header: img.header, roi: img.roi };
  const varied: FeatureMap[] = [];
  for (const v of variations) varied.push(await setup.extractor.extract(await varyPixels(img, v)));
  return { plain, varied };
}

export async function scorePatches(
  index: NearestNeighbourIndex,
  f: FeatureMap,
  scoring: Pick<ScoringSetup, 'blurSigma' | 'method'>,
  excludeRows?: Float32Array,
): Promise<PatchScores> {
  const n = f.width * f.height;
  const distances = await index.distances(f.data, n, excludeRows);
  const { map, score } = scoreDistances({ width: f.width, height: f.height, data: distances }, scoring.blurSigma, scoring.method);
  return { grid: map, score };
}
