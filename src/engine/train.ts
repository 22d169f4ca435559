import { performance } from 'node:perf_hooks';
import { AppError, isAppError } from '../errors';
import { concatArrays } from './arrays';
import { verdict } from './calibration';
import { entryMaskLabels } from './dataset/masks';
import { splitDataset } from './dataset/split';
import { countLabels, type Dataset, type DatasetEntry } from './dataset/types';
import type { ExtractorSpec } from './features/extractor';
import type { FileAccess } from './dataset/file-access';
import type { Box } from './image/decode';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image/image-header';
import { auroc, confusionAt, pixelAuroc } from './metrics';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, type TrainedHeader } from './model/model-header';
import { saveModel, sha256 } from './model/model-store';
import { scorePatches, type ImageFeatures, type ScoringSetup } from './pipeline';
import { LOCAL_CONTRAST, type ScoringMethod } from './scoring/image-score';
import { NearestNeighbourIndex } from './scoring/knn';
import { pixelMap } from './segmentation';
import type { Orientation } from './training/orientation';
import { TrainingRun } from './training/stages';

export { chooseInputSize } from './training/input-plan';

/**
 * Training, in stages (training/stages.ts): plan the input (region, size, features) from the normals; fill a
 * PatchCore memory bank with the normals (and their rotations, for parts that lie in any
 * orientation); score every normal against the bank without its own patches, as photographed
 * and as a new capture session would show it, to calibrate the threshold and the confidence;
 * add labelled anomalies (and their masks) for an F1-optimal threshold, anomaly types and a
 * pixel threshold; measure on the test images what Lookout for Vision reported.
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
  /** How a map of patch distances becomes an image score; local contrast by default. */
  scoring?: ScoringMethod['kind'];
  /**
   * 'any': parts lie in any orientation (wafers, loose parts on a belt), so the bank also learns
   * each normal rotated and a rotated good part is not called anomalous. 'fixed': parts are
   * always placed the same way, and a rotated part is itself worth flagging. 'auto' (the
   * default) asks the normals (training/orientation).
   */
  orientation?: Orientation;
  /** Share of a single dataset held out for testing when no test dataset is given. */
  testFraction?: number;
  seed?: number;
  limits?: ImageLimits;
  /** Which files the dataset may name; any regular file by default (the CLI). */
  files?: FileAccess;
  onProgress?: (p: { stage: string; done: number; total: number }) => void;
}

export const TRAIN_DEFAULTS = { maxBankRows: 16_384, blurSigma: 1, testFraction: 0.2, seed: 42, scoring: 'local-contrast', orientation: 'auto' } as const;
const MIN_NORMALS = 3;

/** How the trained model judged one test image (Lookout for Vision's evaluation manifest lists these). */
export interface TestPrediction {
  /** The image's local path, as in the dataset entry. */
  image: string;
  label: 'normal' | 'anomaly';
  isAnomalous: boolean;
  confidence: number;
}

export interface TrainedModel {
  header: TrainedHeader;
  testPredictions: TestPrediction[];
}

function methodFor(kind: ScoringMethod['kind']): ScoringMethod {
  return kind === 'max' ? { kind: 'max' } : { ...LOCAL_CONTRAST };
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

    const method = methodFor(o.scoring);
    const run = new TrainingRun(o, method, progress);
    await run.planInput(normals);
    const bankStage = await run.fitBank(normals);
    const { bank, index } = bankStage.filled;
    try {
      const cal = await run.calibrate(normals, anomalies, bankStage);
      const fitted = await run.fitSegmentation(anomalies, classes, bank.dims, cal);
      const segmentation: TrainedHeader['segmentation'] = fitted && {
        classes,
        pixelThreshold: fitted.pixelThreshold,
        prototypesSha256: sha256(fitted.prototypes),
      };
      // The plan may have changed in fitBank (a region that holds the part when it turns).
      const setup = run.plan.setup;
      const evaluation = await evaluateTest(
        test,
        setup,
        index,
        (entries, stage) => run.featuresOf(entries, stage),
        segmentation,
        cal.calibration.threshold,
        o.files,
      );
      const counts = countLabels(train);
      const header: TrainedHeader = {
        format: MODEL_FORMAT,
        formatVersion: MODEL_FORMAT_VERSION,
        createdAt: new Date().toISOString(),
        extractor: { spec: run.plan.spec, hash: setup.extractor.hash, dims: bank.dims },
        input: setup.input,
        roi: setup.roi,
        scoring: { blurSigma: o.blurSigma, bankRows: bank.size, bankSha256: sha256(bank.rows), mapThreshold: cal.mapThreshold, method },
        augmentation: { rotations: bankStage.rotations, orientation: o.orientation, orientationRatio: bankStage.orientationRatio },
        threshold: cal.calibration.threshold,
        confidence: { temperature: cal.calibration.temperature, spread: cal.calibration.spread },
        segmentation,
        metrics: { ...evaluation.metrics, testSource: test.length ? testSource : 'none' },
        training: { normalImages: counts.normal, anomalyImages: counts.anomaly, seconds: (performance.now() - started) / 1000, seed: o.seed },
      };
      await saveModel(outDir, { header, bank: bank.rows, prototypes: fitted?.prototypes ?? null });
      const testPredictions = test.map((e, i) => ({ image: e.image, label: e.label, ...verdict(evaluation.scores[i], cal.calibration) }));
      return { header, testPredictions };
    } finally {
      await index.release();
    }
  } catch (err) {
    if (isAppError(err)) throw err;
    throw new AppError('TRAINING_FAILED', `Training failed: ${(err as Error).message}`, {}, { cause: err });
  }
}

/** Scores the test images the bank never saw: the figures Lookout for Vision reported, and AUROCs. */
async function evaluateTest(
  test: DatasetEntry[],
  setup: ScoringSetup,
  index: NearestNeighbourIndex,
  featuresOf: (entries: DatasetEntry[], stage: string) => Promise<ImageFeatures[]>,
  segmentation: TrainedHeader['segmentation'],
  threshold: number,
  files: FileAccess | undefined,
) {
  const testFeatures = await featuresOf(test, 'evaluation');
  const testScored = await Promise.all(testFeatures.map((f) => scorePatches(index, f.features, setup)));
  const testNormal = test.flatMap((e, i) => (e.label === 'normal' ? [testScored[i].score] : []));
  const testAnomaly = test.flatMap((e, i) => (e.label === 'anomaly' ? [testScored[i].score] : []));
  const confusion = test.length ? confusionAt(testNormal, testAnomaly, threshold) : { precision: null, recall: null, f1: null };
  let pixel: number | null = null;
  if (segmentation && test.some((e) => e.mask)) {
    const scores: Float32Array[] = [];
    const labels: Uint8Array[] = [];
    const { input } = setup;
    for (let i = 0; i < test.length; i++) {
      const e = test[i];
      if (e.label === 'anomaly' && !e.mask) continue;
      scores.push(pixelMap(testScored[i].grid, input).data);
      labels.push(
        e.mask
          ? (await entryMaskLabels(e, files, segmentation.classes, testFeatures[i].header, testFeatures[i].roi, input)).map((v) => (v ? 1 : 0))
          : new Uint8Array(input.width * input.height),
      );
    }
    pixel = pixelAuroc(
      concatArrays(scores, (n) => new Float32Array(n)),
      concatArrays(labels, (n) => new Uint8Array(n)),
    );
  }
  return {
    scores: testScored.map((s) => s.score),
    metrics: {
      ...confusion,
      imageAuroc: auroc(testNormal, testAnomaly),
      pixelAuroc: pixel,
      testImages: { normal: testNormal.length, anomaly: testAnomaly.length },
      testScores: { normal: testNormal, anomaly: testAnomaly },
    },
  };
}
