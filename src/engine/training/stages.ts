import { BANK_ROTATIONS, calibrationVariations, type Variation } from '../augment/variations';
import { calibrate, type Calibration } from '../calibration';
import type { FileAccess } from '../dataset/file-access';
import { naming, readImage } from '../dataset/read-entry';
import type { AnomalyClass, DatasetEntry } from '../dataset/types';
import type { FeatureMap } from '../features/extractor';
import type { Box } from '../image/decode';
import type { ImageLimits } from '../image/image-header';
import { imageFeatures, scorePatches, variedFeatures, type ImageFeatures, type PatchScores } from '../pipeline';
import { seededRng } from '../random';
import { maxOf } from '../scoring/anomaly-map';
import type { ScoringMethod } from '../scoring/image-score';
import { NearestNeighbourIndex } from '../scoring/knn';
import { planInput, type InputPlan } from './input-plan';
import { buildMemoryBank, withoutOwner, type MemoryBank } from './memory-bank';
import { ANY_ORIENTATION_RATIO, orientationRatio, rotationSafeRegion, type Orientation } from './orientation';
import { fitSegmentation } from './segmentation-fit';

/**
 * Training's stages, each a method of one run so it can be called (and tested) alone: plan the
 * input, fill the memory bank (deciding the orientation on the way), calibrate the threshold,
 * fit segmentation. `train.ts` runs them in order and writes the model.
 */

export interface RunOptions {
  resolution?: number;
  roi?: 'auto' | 'none' | Box;
  coresetRatio?: number;
  extractor?: InputPlan['spec'];
  maxBankRows: number;
  blurSigma: number;
  orientation: Orientation;
  seed: number;
  limits: ImageLimits;
  files?: FileAccess;
}

export type Progress = (p: { stage: string; done: number; total: number }) => void;

export interface FilledBank {
  views: FeatureMap[][];
  bank: MemoryBank;
  index: NearestNeighbourIndex;
  /** Each normal's score against the bank without its own rows, computed once. */
  heldOut: Map<number, Promise<PatchScores>>;
}

export interface BankStage {
  filled: FilledBank;
  rotations: number[];
  anyOrientation: boolean;
  orientationRatio: number | null;
}

export interface CalibrationStage {
  calibration: Calibration;
  mapThreshold: number;
  anomalyFeatures: ImageFeatures[];
  anomalyScored: PatchScores[];
}

/** Session variations of at most this many normals: enough for the threshold; a 500-image set does not pay 2,000 extra forward passes. */
const MAX_SESSION_NORMALS = 64;

export class TrainingRun {
  plan!: InputPlan;

  constructor(
    private readonly o: RunOptions,
    private readonly method: ScoringMethod,
    private readonly progress: Progress,
  ) {}

  /** Stage 1: what part of the frame to score, at what size, with which features. */
  async planInput(normals: DatasetEntry[], roi: RunOptions['roi'] = this.o.roi): Promise<InputPlan> {
    this.plan = await planInput(normals, { ...this.o, roi, method: this.method });
    return this.plan;
  }

  async featuresOf(entries: DatasetEntry[], stage: string): Promise<ImageFeatures[]> {
    const out: ImageFeatures[] = [];
    for (const e of entries) {
      out.push(await naming(e, async () => imageFeatures(this.plan.setup, await readImage(e, this.o.files))));
      this.progress({ stage, done: out.length, total: entries.length });
    }
    return out;
  }

  private async fill(normals: DatasetEntry[], rotations: number[]): Promise<FilledBank> {
    const augmentations: Variation[] = rotations.map((degrees) => ({ kind: 'rotate', degrees }));
    const views: FeatureMap[][] = [];
    for (const e of normals) {
      const { plain, varied } = await naming(e, async () => variedFeatures(this.plan.setup, await readImage(e, this.o.files), augmentations));
      views.push([plain.features, ...varied]);
      this.progress({ stage: 'features: normal images', done: views.length, total: normals.length });
    }
    const bank = await buildMemoryBank(views, { coresetRatio: this.plan.coresetRatio, maxBankRows: this.o.maxBankRows, seed: this.o.seed });
    this.progress({ stage: 'coreset', done: bank.size, total: bank.size });
    return { views, bank, index: await NearestNeighbourIndex.create(bank.rows, bank.dims), heldOut: new Map() };
  }

  heldOutOf(filled: FilledBank, i: number): Promise<PatchScores> {
    let scored = filled.heldOut.get(i);
    if (!scored) filled.heldOut.set(i, (scored = scorePatches(filled.index, filled.views[i][0], this.plan.setup, withoutOwner(filled.bank, i))));
    return scored;
  }

  /**
   * Stage 2: the memory bank of the normals as photographed; then, if they show parts at any
   * angle (or the user says so), again with every normal rotated.
   */
  async fitBank(normals: DatasetEntry[]): Promise<BankStage> {
    let filled = await this.fill(normals, []);
    let ratio: number | null = null;
    let anyOrientation = this.o.orientation === 'any';
    if (this.o.orientation === 'auto') {
      const heldOut: number[] = [];
      for (let i = 0; i < Math.min(normals.length, 16); i++) heldOut.push((await this.heldOutOf(filled, i)).score);
      ratio = await orientationRatio(
        normals.map((e) => ({ bytes: () => readImage(e, this.o.files) })),
        heldOut,
        this.plan.setup,
        filled.index,
        filled.bank,
      );
      anyOrientation = ratio < ANY_ORIENTATION_RATIO;
      this.progress({ stage: `orientation: ${anyOrientation ? 'any' : 'fixed'} (rotated/plain ${ratio.toFixed(2)})`, done: 1, total: 1 });
    }
    const rotations: number[] = anyOrientation ? [...BANK_ROTATIONS] : [];
    if (anyOrientation) {
      await filled.index.release();
      // A learned region must still hold the part when it turns.
      if (this.plan.setup.roi && typeof this.o.roi !== 'object')
        await this.planInput(normals, rotationSafeRegion(this.plan.setup.roi, this.plan.frame) ?? 'none');
      filled = await this.fill(normals, rotations);
    }
    return { filled, rotations, anyOrientation, orientationRatio: ratio };
  }

  /**
   * Stage 3: held-out normal scores (each normal, as photographed and as a new session would
   * show it, against the bank without the rows it contributed) and the labelled anomalies give
   * the threshold and the confidence; the same on the map's peaks gives heat maps their scale.
   */
  async calibrate(normals: DatasetEntry[], anomalies: DatasetEntry[], stage: BankStage): Promise<CalibrationStage> {
    const { filled } = stage;
    const setup = this.plan.setup;
    const normalScores: number[] = [];
    const normalMapPeaks: number[] = [];
    const sessionScores: number[] = [];
    const rng = seededRng(this.o.seed + 1);
    const sessionStride = Math.ceil(normals.length / MAX_SESSION_NORMALS);
    for (let i = 0; i < normals.length; i++) {
      const penalty = withoutOwner(filled.bank, i);
      const heldOut = await this.heldOutOf(filled, i);
      normalScores.push(heldOut.score);
      normalMapPeaks.push(maxOf(heldOut.grid.data));
      if (i % sessionStride === 0) {
        const { varied } = await variedFeatures(
          setup,
          await readImage(normals[i], this.o.files),
          calibrationVariations(rng, { rotations: stage.anyOrientation }),
        );
        for (const f of varied) sessionScores.push((await scorePatches(filled.index, f, setup, penalty)).score);
      }
      this.progress({ stage: 'calibration', done: i + 1, total: normals.length });
    }
    filled.views.length = 0; // the bank has what it needs; let the feature maps go
    const anomalyFeatures = await this.featuresOf(anomalies, 'features: anomaly images');
    const anomalyScored = await Promise.all(anomalyFeatures.map((f) => scorePatches(filled.index, f.features, setup)));
    const calibration = calibrate(
      normalScores,
      anomalyScored.map((s) => s.score),
      sessionScores,
    );
    const mapThreshold = calibrate(
      normalMapPeaks,
      anomalyScored.map((s) => maxOf(s.grid.data)),
    ).threshold;
    return { calibration, mapThreshold, anomalyFeatures, anomalyScored };
  }

  /** Stage 4: anomaly types, their prototypes and the pixel threshold, from the masks (segmentation datasets only). */
  async fitSegmentation(anomalies: DatasetEntry[], classes: AnomalyClass[], dims: number, cal: CalibrationStage) {
    const masked = anomalies.flatMap((entry, i) => (entry.mask ? [{ entry, features: cal.anomalyFeatures[i], scored: cal.anomalyScored[i] }] : []));
    if (!classes.length || !masked.length) return null;
    return fitSegmentation(masked, classes, this.plan.setup.input, dims, cal.mapThreshold, this.o.files);
  }
}
