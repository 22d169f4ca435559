import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { atSensitivity, impliedPerformance } from '../../src/engine/calibration';
import { main } from '../../src/engine/cli/main';
import { readDataset } from '../../src/engine/dataset/folder';
import { AnomalyModel } from '../../src/engine/detector';
import { trainModel } from '../../src/engine/train';
import { png, tempDir, textureRgb, writeSegmentationDataset } from '../helpers/images';

/**
 * Sensitivity after training: a line that alarms too often moves the decision without
 * retraining. It moves the threshold along the model's own span (median normal to threshold), so
 * it means the same for every model; what it implies on the test split is reported; the CLI
 * records it beside the model.
 */

let dir: { path: string; cleanup: () => Promise<void> };
let modelDir: string;

beforeAll(async () => {
  dir = await tempDir();
  const manifest = await writeSegmentationDataset(dir.path, 12, 6);
  modelDir = join(dir.path, 'model');
  await trainModel({ train: await readDataset(manifest) }, modelDir, { resolution: 128, testFraction: 0.3 });
}, 60_000);

afterAll(async () => dir?.cleanup());

test('0.5 is the calibrated threshold; the threshold moves along the span down to the median normal', () => {
  const c = { threshold: 10, temperature: 0.01, spread: 4 };
  expect(atSensitivity(c, 0.5)).toEqual(c);
  expect(atSensitivity(c, 0.9).threshold).toBeCloseTo(10 - 0.8 * 4, 9);
  expect(atSensitivity(c, 0.1).threshold).toBeCloseTo(10 + 0.8 * 4, 9);
  // A format-1 model has no span: the logistic's 5-95 % width stands in.
  expect(atSensitivity({ threshold: 10, temperature: 1 }, 0.75).threshold).toBeCloseTo(10 - 0.5 * 2 * Math.log(19), 9);
  expect(() => atSensitivity(c, 1)).toThrow(RangeError);
  expect(() => atSensitivity(c, 0)).toThrow(RangeError);
});

test('a higher sensitivity never lowers recall on the test split, nor raises precision', () => {
  const scores = { normal: [1, 2, 3, 4, 5], anomaly: [4.5, 6, 7, 8] };
  const at = [0.05, 0.3, 0.5, 0.7, 0.95].map((s) => impliedPerformance({ threshold: 5.5, temperature: 0.1, spread: 2.5 }, s, scores));
  for (let i = 1; i < at.length; i++) {
    expect(at[i].threshold).toBeLessThan(at[i - 1].threshold);
    expect(at[i].recall!).toBeGreaterThanOrEqual(at[i - 1].recall!);
  }
  expect(at[0].precision).toBe(1);
  expect(at[4].recall).toBe(1);
});

test('an image just below the threshold turns anomalous at a sensitivity just high enough, at confidence 0.5 and up', async () => {
  const model = await AnomalyModel.load(modelDir);
  try {
    // The least normal-looking of a few new clean images: above the median normal, below the threshold.
    const candidates = await Promise.all([4242, 4243, 4244, 4245, 4246, 4247].map((seed) => png(textureRgb(seed))));
    const scored = await Promise.all(candidates.map(async (bytes) => ({ bytes, r: await model.detect(bytes) })));
    const { bytes: clean, r: base } = scored.reduce((a, b) => (b.r.score > a.r.score ? b : a));
    expect(base.isAnomalous).toBe(false);
    const { threshold, spread } = model.calibration();
    // The sensitivity whose threshold sits exactly at this image's score, and a hair either side.
    const exact = 0.5 + (threshold - base.score) / (2 * spread!);
    expect(exact).toBeLessThan(0.99);
    const flagged = await model.detect(clean, undefined, { sensitivity: exact + 0.005 });
    expect(flagged.score).toBe(base.score);
    expect(flagged.isAnomalous).toBe(true);
    expect(flagged.confidence).toBeGreaterThanOrEqual(0.5);
    expect(flagged.threshold).toBeLessThan(base.score);
    expect((await model.detect(clean, undefined, { sensitivity: exact - 0.005 })).isAnomalous).toBe(false);
  } finally {
    await model.close();
  }
});

describe('command line', () => {
  let out: string[];
  beforeEach(() => {
    out = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  test('sensitivity records the choice beside the model and prints what it implies; detect then decides by it', async () => {
    expect(await main(['sensitivity', modelDir, '0.8'])).toBe(0);
    const report = JSON.parse(out.join(''));
    expect(report.sensitivity.sensitivity).toBe(0.8);
    const header = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8'));
    expect(report.sensitivity.threshold).toBeCloseTo(header.threshold - 0.6 * header.confidence.spread, 6);
    expect(report.alternatives.map((a: { sensitivity: number }) => a.sensitivity)).toEqual([0.1, 0.3, 0.5, 0.7, 0.9]);
    expect(report.sensitivity.recall).not.toBeNull();

    const model = await AnomalyModel.load(modelDir);
    try {
      expect(model.sensitivity).toBe(0.8);
      expect((await model.detect(await png(textureRgb(4243)))).threshold).toBeCloseTo(report.sensitivity.threshold, 6);
    } finally {
      await model.close();
    }
    expect(await main(['sensitivity', modelDir, '1.5'])).toBe(1);
    expect(await main(['sensitivity', modelDir, '0.5'])).toBe(0);
  });
});
