import { readDataset } from '../../src/engine/dataset/folder';
import type { DatasetEntry } from '../../src/engine/dataset/types';
import { DEFAULT_IMAGE_LIMITS } from '../../src/engine/image/image-header';
import { LOCAL_CONTRAST } from '../../src/engine/scoring/image-score';
import { TRAIN_DEFAULTS } from '../../src/engine/train';
import { TrainingRun, type BankStage, type CalibrationStage } from '../../src/engine/training/stages';
import { CRACK, tempDir, writeSegmentationDataset } from '../helpers/images';

/**
 * Training's stages one at a time, on the synthetic texture (normal) and blue blobs (defects):
 * each stage's output is checked for what the next one relies on, without writing a model.
 */

let dir: { path: string; cleanup: () => Promise<void> };
let normals: DatasetEntry[];
let anomalies: DatasetEntry[];
let run: TrainingRun;

beforeAll(async () => {
  dir = await tempDir();
  const dataset = await readDataset(await writeSegmentationDataset(dir.path, 10, 4));
  normals = dataset.entries.filter((e) => e.label === 'normal');
  anomalies = dataset.entries.filter((e) => e.label === 'anomaly');
  run = new TrainingRun({ ...TRAIN_DEFAULTS, resolution: 128, orientation: 'fixed', limits: DEFAULT_IMAGE_LIMITS }, { ...LOCAL_CONTRAST }, () => {});
});

afterAll(async () => {
  await bank?.filled.index.release();
  await dir?.cleanup();
});

let bank: BankStage;
let cal: CalibrationStage;

test('planInput: scores the whole 128 px frame at the asked resolution', async () => {
  const plan = await run.planInput(normals);
  expect(plan.frame).toEqual({ width: 128, height: 128 });
  expect(plan.setup.input.width).toBe(128);
  expect(plan.coresetRatio).toBeGreaterThan(0);
});

test('fitBank: a bank of normal patches, with each normal scored against the others', async () => {
  bank = await run.fitBank(normals);
  expect(bank.rotations).toEqual([]);
  expect(bank.anyOrientation).toBe(false);
  expect(bank.filled.bank.size).toBeGreaterThan(0);
  expect(bank.filled.views).toHaveLength(normals.length);
  const heldOut = await run.heldOutOf(bank.filled, 0);
  expect(heldOut.score).toBeGreaterThan(0);
  expect(Number.isFinite(heldOut.score)).toBe(true);
});

test('calibrate: a threshold above the held-out normals that the labelled defects exceed', async () => {
  cal = await run.calibrate(normals, anomalies, bank);
  const normalScores = await Promise.all(normals.map((_, i) => run.heldOutOf(bank.filled, i)));
  const highestNormal = Math.max(...normalScores.map((s) => s.score));
  expect(cal.calibration.threshold).toBeGreaterThan(highestNormal * 0.99);
  expect(cal.anomalyScored).toHaveLength(anomalies.length);
  for (const s of cal.anomalyScored) expect(s.score).toBeGreaterThan(cal.calibration.threshold);
  expect(cal.mapThreshold).toBeGreaterThan(0);
});

test('fitSegmentation: prototypes for the labelled class, and nothing without classes', async () => {
  const fitted = await run.fitSegmentation(anomalies, [CRACK], bank.filled.bank.dims, cal);
  expect(fitted).not.toBeNull();
  expect(fitted!.pixelThreshold).toBeGreaterThan(0);
  expect(fitted!.prototypes.length).toBeGreaterThan(0);
  expect(await run.fitSegmentation(anomalies, [], bank.filled.bank.dims, cal)).toBeNull();
});
