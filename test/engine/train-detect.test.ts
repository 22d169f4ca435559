import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { readDataset } from '../../src/engine/dataset/folder';
import { AnomalyModel, toLookoutResult } from '../../src/engine/detector';
import { trainModel } from '../../src/engine/train';
import { CRACK, png, tempDir, textureRgb, writeSegmentationDataset, type Defect } from '../helpers/images';

/**
 * The engine end to end on images made in code: a woven texture is normal, a round blue blob is
 * the defect. Trained on clean copies (plus a few labelled anomalies with masks), a new image
 * with a defect must score above the threshold with a mask over the defect, and a new clean
 * image must not.
 */

let dir: { path: string; cleanup: () => Promise<void> };
let modelDir: string;
let model: AnomalyModel;

beforeAll(async () => {
  dir = await tempDir();
  const manifest = await writeSegmentationDataset(dir.path, 12, 6);
  modelDir = join(dir.path, 'model');
  await trainModel({ train: await readDataset(manifest) }, modelDir, { resolution: 128, testFraction: 0.2 });
  model = await AnomalyModel.load(modelDir);
});

afterAll(async () => {
  await model?.close();
  await dir?.cleanup();
});

const unseenDefect: Defect = { cx: 84, cy: 40, r: 10, rgb: [40, 40, 200] };

test('training records a segmentation model with its metrics', () => {
  const h = model.header;
  expect(h.segmentation?.classes).toEqual([CRACK]);
  expect(h.metrics.testSource).toBe('auto-split');
  expect(h.metrics.testImages).toEqual({ normal: 2, anomaly: 1 });
  expect(h.metrics.imageAuroc).toBe(1);
  expect(h.metrics.f1).toBe(1);
  expect(h.training).toMatchObject({ normalImages: 10, anomalyImages: 5, seed: 42 });
  expect(h.threshold).toBeGreaterThan(0);
});

test('an unseen image with a drawn defect is anomalous, and its mask covers the defect', async () => {
  const r = await model.detect(await png(textureRgb(9001, [unseenDefect])));
  expect(r.isAnomalous).toBe(true);
  expect(r.score).toBeGreaterThan(r.threshold);
  expect(r.confidence).toBeGreaterThan(0.5);
  expect(r.anomalies?.[0]).toMatchObject({ name: 'background', color: '#FFFFFF' });
  expect(r.anomalies?.[1]).toMatchObject({ name: CRACK.name, color: CRACK.color });

  const { data, info } = await sharp(r.mask!.png).raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([128, 128]);
  let inside = 0;
  let insideMarked = 0;
  let outsideMarked = 0;
  for (let y = 0; y < 128; y++)
    for (let x = 0; x < 128; x++) {
      const o = (y * 128 + x) * info.channels;
      const marked = data[o] === 0x23 && data[o + 1] === 0xa4 && data[o + 2] === 0x36;
      const isWhite = data[o] === 255 && data[o + 1] === 255 && data[o + 2] === 255;
      expect(marked || isWhite).toBe(true);
      if ((x - unseenDefect.cx) ** 2 + (y - unseenDefect.cy) ** 2 <= unseenDefect.r ** 2) {
        inside++;
        if (marked) insideMarked++;
      } else if ((x - unseenDefect.cx) ** 2 + (y - unseenDefect.cy) ** 2 > (3 * unseenDefect.r) ** 2 && marked) outsideMarked++;
    }
  expect(insideMarked / inside).toBeGreaterThan(0.6);
  expect(outsideMarked).toBeLessThan(0.02 * 128 * 128);
  expect(r.anomalies![0].totalPercentageArea + r.anomalies![1].totalPercentageArea).toBeCloseTo(1, 6);
  // The reported area is the marked share of the image.
  expect(r.anomalies![1].totalPercentageArea).toBeCloseTo((insideMarked + outsideMarked) / (128 * 128), 1);
});

test('an unseen clean image is normal, confidently', async () => {
  const r = await model.detect(await png(textureRgb(9002)));
  expect(r.isAnomalous).toBe(false);
  expect(r.score).toBeLessThan(r.threshold);
  expect(r.confidence).toBeGreaterThan(0.5);
  expect(r.anomalies?.map((a) => a.name)).toEqual(['background']);
});

test('detect output in Lookout for Vision shape', async () => {
  const lfv = toLookoutResult(await model.detect(await png(textureRgb(9003, [unseenDefect]))));
  expect(Object.keys(lfv)).toEqual(['Source', 'IsAnomalous', 'Confidence', 'Anomalies', 'AnomalyMask']);
  expect(lfv.Source).toEqual({ Type: 'direct' });
  expect(
    Buffer.from(lfv.AnomalyMask as string, 'base64')
      .subarray(1, 4)
      .toString(),
  ).toBe('PNG');
});

test('images of another size than the training images are scored too', async () => {
  const big = await sharp(await png(textureRgb(9004, [unseenDefect])))
    .resize(256, 200, { fit: 'fill' })
    .png()
    .toBuffer();
  const r = await model.detect(big);
  expect(r.image).toEqual({ width: 256, height: 200, format: 'png' });
  expect(r.mask).toMatchObject({ width: 256, height: 200 });
});

test('save and load round-trip scores identically; damage is detected', async () => {
  const img = await png(textureRgb(9005, [unseenDefect]));
  const again = await AnomalyModel.load(modelDir);
  try {
    expect(again.header).toEqual(model.header);
    expect((await again.detect(img)).score).toBe((await model.detect(img)).score);
  } finally {
    await again.close();
  }
  const copy = join(dir.path, 'damaged');
  await trainModel({ train: await readDataset(join(dir.path, 'train.manifest')) }, copy, { resolution: 128 });
  const bank = await readFile(join(copy, 'bank.f32'));
  bank[100] ^= 0xff;
  await writeFile(join(copy, 'bank.f32'), bank);
  await expect(AnomalyModel.load(copy)).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
  await writeFile(join(copy, 'bank.f32'), bank.subarray(0, 10));
  await expect(AnomalyModel.load(copy)).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
  const header = JSON.parse(await readFile(join(copy, 'model.json'), 'utf8'));
  await writeFile(join(copy, 'model.json'), JSON.stringify({ ...header, formatVersion: 99 }));
  await expect(AnomalyModel.load(copy)).rejects.toMatchObject({ code: 'MODEL_INCOMPATIBLE' });
  await writeFile(join(copy, 'model.json'), '{ not json');
  await expect(AnomalyModel.load(copy)).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
  await rm(copy, { recursive: true });
  await expect(AnomalyModel.load(copy)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
});

test('bad input to detect gets a typed error and leaves the model working', async () => {
  await expect(model.detect(Buffer.from('hello'))).rejects.toMatchObject({ code: 'INVALID_IMAGE' });
  const good = await png(textureRgb(9006));
  await expect(model.detect(good.subarray(0, good.length - 200))).rejects.toMatchObject({ code: 'INVALID_IMAGE' });
  const tiny = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
  await expect(model.detect(tiny)).rejects.toMatchObject({ code: 'IMAGE_DIMENSIONS_OUT_OF_RANGE' });
  expect((await model.detect(good)).isAnomalous).toBe(false);
});

test('a training that fails on a bad image names it and leaves the stored model intact', async () => {
  const before = await readFile(join(modelDir, 'model.json'), 'utf8');
  const manifest = join(dir.path, 'train.manifest');
  const broken = join(dir.path, 'broken.manifest');
  const truncated = join(dir.path, 'images', 'truncated.png');
  await writeFile(truncated, (await png(textureRgb(77))).subarray(0, 300));
  const line = JSON.stringify({ 'source-ref': 'images/truncated.png', 'anomaly-label': 0, 'anomaly-label-metadata': { 'class-name': 'normal' } });
  await writeFile(broken, (await readFile(manifest, 'utf8')) + line + '\n');
  const failed = trainModel({ train: await readDataset(broken) }, modelDir, { resolution: 128, testFraction: 0 });
  await expect(failed).rejects.toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringContaining('truncated.png') });
  expect(await readFile(join(modelDir, 'model.json'), 'utf8')).toBe(before);
  const reloaded = await AnomalyModel.load(modelDir);
  await reloaded.close();
});
