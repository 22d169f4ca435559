import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { AppError, isAppError } from '../errors';
import { concatArrays } from './arrays';
import { calibrate, verdict } from './calibration';
import { readMaskLabels } from './dataset/masks';
import { splitDataset } from './dataset/split';
import { countLabels, type Dataset, type DatasetEntry } from './dataset/types';
import { defaultProfile, getExtractor, type ExtractorSpec } from './features/extractor';
import { roiToPixels, type Box } from './image/decode';
import { DEFAULT_IMAGE_LIMITS, readImageHeader, type ImageLimits } from './image/image-header';
import { auroc, bestPixelThreshold, confusionAt, pixelAuroc } from './metrics';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelHeader } from './model/model-header';
import { saveModel, sha256 } from './model/model-store';
import { imageFeatures, scorePatches, type ImageFeatures, type ScoringSetup } from './pipeline';
import { seededRng } from './random';
import { foregroundBox, regionOfInterest } from './roi';
import { toRows } from './scoring/anomaly-map';
import { greedyCoreset, takeRows } from './scoring/coreset';
import { NearestNeighbourIndex } from './scoring/knn';
import { classPrototypes, labelsOnGrid, pixelMap } from './segmentation';

/**
 * Training: normal images fill a PatchCore memory bank; held-out scores calibrate the threshold
 * and the confidence; labelled anomalies (and their masks) add an F1-optimal threshold, anomaly
 * types and a pixel threshold; the test images measure what Lookout for Vision reported.
 */

export interface TrainOptions {
  /** The backbone; by default MobileNetV2 with layers chosen for the input resolution. */
  extractor?: ExtractorSpec;
  /** Long side of the model's input in pixels; by default chosen from the image (or region) size. */
  resolution?: number;
  /** 'auto' learns a region from the normals; 'none' scores the whole frame; or a fractional box. */
  roi?: 'auto' | 'none' | Box;
  /** Share of normal patches the greedy coreset keeps; by default chosen for the input resolution. */
  coresetRatio?: number;
  maxBankRows?: number;
  blurSigma?: number;
  /** Share of a single dataset held out for testing when no test dataset is given. */
  testFraction?: number;
  seed?: number;
  limits?: ImageLimits;
  onProgress?: (p: { stage: string; done: number; total: number }) => void;
}

export const TRAIN_DEFAULTS = { maxBankRows: 16_384, blurSigma: 1, testFraction: 0.2, seed: 42 } as const;
const MIN_NORMALS = 3;
/** Bank rows a leave-one-out penalty adds: larger than any real squared distance. */
const EXCLUDED = 1e12;

async function readImage(entry: DatasetEntry): Promise<Buffer> {
  try {
    return await readFile(entry.image);
  } catch (err) {
    throw new AppError('DATASET_INVALID', `The image ${entry.image} cannot be read: ${(err as Error).message}`, { path: entry.image }, { cause: err });
  }
}

/** Names the file in an image error: "not a PNG or JPEG" means little without knowing which of 500. */
async function naming<T>(entry: DatasetEntry, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isAppError(err) && !err.details.path) throw new AppError(err.code, `${entry.image}: ${err.message}`, { ...err.details, path: entry.image }, { cause: err });
    throw err;
  }
}

/** Rounds to a multiple of 32, the backbone's coarsest stride, so every layer's grid divides evenly. */
const to32 = (v: number) => Math.max(64, Math.round(v / 32) * 32);

export function chooseInputSize(region: { width: number; height: number }, resolution?: number): { width: number; height: number } {
  const long = Math.max(region.width, region.height);
  const target = resolution ?? Math.min(1280, Math.max(256, long / 2));
  const scale = target / long;
  return { width: to32(region.width * scale), height: to32(region.height * scale) };
}

/** How the trained model judged one test image (Lookout for Vision's evaluation manifest lists these). */
export interface TestPrediction {
  /** The image's local path, as in the dataset entry. */
  image: string;
  label: 'normal' | 'anomaly';
  isAnomalous: boolean;
  confidence: number;
}

export interface TrainedModel {
  header: ModelHeader;
  testPredictions: TestPrediction[];
}

export async function trainModel(data: { train: Dataset; test?: Dataset | null }, outDir: string, options: TrainOptions = {}): Promise<TrainedModel> {
  const started = performance.now();
  // An option passed as undefined means "the default", not "unset".
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as TrainOptions;
  const o = { ...TRAIN_DEFAULTS, limits: DEFAULT_IMAGE_LIMITS, ...given };
  const progress = o.onProgress ?? (() => {});
  try {
    const { train, test, testSource } = data.test
      ? { train: data.train.entries, test: data.test.entries, testSource: 'test-dataset' as const }
      : splitDataset(data.train.entries, o.testFraction, o.seed);
    const classes = data.train.classes.length ? data.train.classes : (data.test?.classes ?? []);
    const normals = train.filter((e) => e.label === 'normal');
    const anomalies = train.filter((e) => e.label === 'anomaly');
    if (normals.length < MIN_NORMALS) {
      throw new AppError('TRAINING_FAILED', `Training needs at least ${MIN_NORMALS} normal images; the training split has ${normals.length}.`);
    }

    // Region of interest and input size, from the normals.
    const firstHeader = await naming(normals[0], async () => readImageHeader(await readImage(normals[0]), o.limits));
    let roi: Box | null = null;
    if (typeof o.roi === 'object') roi = o.roi;
    else if (o.roi !== 'none') {
      const sample = normals.slice(0, 20);
      roi = regionOfInterest(await Promise.all(sample.map((e) => naming(e, async () => foregroundBox(await readImage(e))))));
    }
    const region = roiToPixels(roi, firstHeader);
    const input = chooseInputSize(region, o.resolution);
    const profile = defaultProfile(input);
    const spec = o.extractor ?? profile.extractor;
    const coresetRatio = o.coresetRatio ?? profile.coresetRatio;
    const extractor = await getExtractor(spec);
    const setup: ScoringSetup = { extractor, input, roi, blurSigma: o.blurSigma, limits: o.limits };

    const featuresOf = async (entries: DatasetEntry[], stage: string): Promise<ImageFeatures[]> => {
      const out: ImageFeatures[] = [];
      for (const e of entries) {
        out.push(await naming(e, async () => imageFeatures(setup, await readImage(e))));
        progress({ stage, done: out.length, total: entries.length });
      }
      return out;
    };

    // Memory bank: every normal patch, then the greedy coreset.
    const normalFeatures = await featuresOf(normals, 'features: normal images');
    const dims = normalFeatures[0].features.channels;
    const perImage = normalFeatures[0].features.width * normalFeatures[0].features.height;
    const all = new Float32Array(normalFeatures.length * perImage * dims);
    normalFeatures.forEach((f, i) => all.set(toRows(f.features.data, dims, perImage), i * perImage * dims));
    const totalRows = normalFeatures.length * perImage;
    const k = Math.min(totalRows, Math.max(Math.min(1024, totalRows), Math.min(o.maxBankRows, Math.round(totalRows * coresetRatio))));
    progress({ stage: 'coreset', done: 0, total: k });
    const chosen = greedyCoreset(all, dims, k, seededRng(o.seed));
    const bank = takeRows(all, dims, chosen);
    progress({ stage: 'coreset', done: k, total: k });
    const index = await NearestNeighbourIndex.create(bank, dims);

    try {
      // Held-out normal scores: each normal against the bank without the rows it contributed.
      const normalScores: number[] = [];
      for (let i = 0; i < normalFeatures.length; i++) {
        const exclude = new Float32Array(k);
        for (let r = 0; r < k; r++) if (Math.floor(chosen[r] / perImage) === i) exclude[r] = EXCLUDED;
        normalScores.push((await scorePatches(index, normalFeatures[i].features, o.blurSigma, exclude)).score);
      }
      const anomalyFeatures = await featuresOf(anomalies, 'features: anomaly images');
      const anomalyScored = await Promise.all(anomalyFeatures.map((f) => scorePatches(index, f.features, o.blurSigma)));
      const calibration = calibrate(normalScores, anomalyScored.map((s) => s.score));

      // Segmentation: anomaly types, their prototypes and the pixel threshold, from the masks.
      let segmentation: ModelHeader['segmentation'] = null;
      let prototypes: Float32Array | null = null;
      const masked = anomalies.map((e, i) => ({ e, i })).filter(({ e }) => e.mask);
      if (classes.length && masked.length) {
        const samples = [];
        const pixelScores: Float32Array[] = [];
        const pixelLabels: Uint8Array[] = [];
        for (const { e, i } of masked) {
          const f = anomalyFeatures[i];
          const labels = await readMaskLabels(e.mask!, classes, f.header, f.roi, input);
          const grid = { width: f.features.width, height: f.features.height };
          samples.push({ features: f.features, cellLabels: labelsOnGrid(labels, input, grid, classes.length) });
          pixelScores.push(pixelMap(anomalyScored[i].grid, input).data);
          pixelLabels.push(labels.map((v) => (v ? 1 : 0)));
        }
        prototypes = classPrototypes(samples, classes.length, dims);
        const pixelThreshold = bestPixelThreshold(concatArrays(pixelScores, (n) => new Float32Array(n)), concatArrays(pixelLabels, (n) => new Uint8Array(n))) ?? calibration.threshold;
        segmentation = { classes, pixelThreshold, prototypesSha256: sha256(prototypes) };
      }

      // Evaluation on images the bank never saw.
      const testFeatures = await featuresOf(test, 'evaluation');
      const testScored = await Promise.all(testFeatures.map((f) => scorePatches(index, f.features, o.blurSigma)));
      const testNormal = test.flatMap((e, i) => (e.label === 'normal' ? [testScored[i].score] : []));
      const testAnomaly = test.flatMap((e, i) => (e.label === 'anomaly' ? [testScored[i].score] : []));
      const confusion = test.length ? confusionAt(testNormal, testAnomaly, calibration.threshold) : { precision: null, recall: null, f1: null };
      let pixel: number | null = null;
      if (segmentation && test.some((e) => e.mask)) {
        const scores: Float32Array[] = [];
        const labels: Uint8Array[] = [];
        for (let i = 0; i < test.length; i++) {
          const e = test[i];
          if (e.label === 'anomaly' && !e.mask) continue;
          scores.push(pixelMap(testScored[i].grid, input).data);
          labels.push(e.mask ? (await readMaskLabels(e.mask, classes, testFeatures[i].header, testFeatures[i].roi, input)).map((v) => (v ? 1 : 0)) : new Uint8Array(input.width * input.height));
        }
        pixel = pixelAuroc(concatArrays(scores, (n) => new Float32Array(n)), concatArrays(labels, (n) => new Uint8Array(n)));
      }

      const counts = countLabels(train);
      const header: ModelHeader = {
        format: MODEL_FORMAT,
        formatVersion: MODEL_FORMAT_VERSION,
        createdAt: new Date().toISOString(),
        extractor: { spec, hash: extractor.hash, dims },
        input,
        roi,
        scoring: { blurSigma: o.blurSigma, bankRows: k, bankSha256: sha256(bank) },
        threshold: calibration.threshold,
        confidence: { temperature: calibration.temperature },
        segmentation,
        metrics: {
          ...confusion,
          imageAuroc: auroc(testNormal, testAnomaly),
          pixelAuroc: pixel,
          testImages: { normal: testNormal.length, anomaly: testAnomaly.length },
          testSource: test.length ? testSource : 'none',
        },
        training: { normalImages: counts.normal, anomalyImages: counts.anomaly, seconds: (performance.now() - started) / 1000, seed: o.seed },
      };
      await saveModel(outDir, { header, bank, prototypes });
      const testPredictions = test.map((e, i) => ({ image: e.image, label: e.label, ...verdict(testScored[i].score, calibration) }));
      return { header, testPredictions };
    } finally {
      await index.release();
    }
  } catch (err) {
    if (isAppError(err)) throw err;
    throw new AppError('TRAINING_FAILED', `Training failed: ${(err as Error).message}`, {}, { cause: err });
  }
}
