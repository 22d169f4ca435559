import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { main } from '../../src/engine/cli/main';
import { captureCliOutput } from '../helpers/cli-output';
import { AnomalibModel } from '../../src/engine/imported/anomalib-model';
import { importAnomalibModel } from '../../src/engine/imported/import-model';
import { loadDetector } from '../../src/engine/load-detector';
import { anomalibV1, anomalibV2, greyInput, scoreOnly, twoInputs, V1_METADATA, v1Raw } from '../helpers/anomalib-exports';
import { tempDir } from '../helpers/images';

/**
 * anomalib's ONNX exports served without Python: v2 as it is (0.5 on its normalised score), v1
 * through its metadata.json (min-max normalisation, image and pixel thresholds), both through
 * the same detect() as models trained here; files that do not fit are refused and leave nothing.
 */

const RED: [number, number, number] = [220, 40, 40];
let dir: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => dir?.cleanup());

/** Grey, with a red square of `side` px at (`at`, `at`). */
async function picture(size: number, square?: { at: number; side: number }): Promise<Buffer> {
  const raw = Buffer.alloc(size * size * 3, 128);
  if (square)
    for (let y = square.at; y < square.at + square.side; y++) for (let x = square.at; x < square.at + square.side; x++) raw.set(RED, (y * size + x) * 3);
  return sharp(raw, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}

test('a v2 export: 0.5 on pred_score decides, pred_mask draws the one anomaly type at the image size', async () => {
  const modelDir = join(dir.path, 'v2');
  const header = await importAnomalibModel(anomalibV2(), null, modelDir);
  expect(header.imported).toMatchObject({
    exportVersion: 'v2',
    inputName: 'input',
    outputs: { map: 'anomaly_map', score: 'pred_score', mask: 'pred_mask' },
    normalize: null,
  });
  expect(header.input).toEqual({ width: 64, height: 64 });
  expect((await readdir(modelDir)).sort()).toEqual(['model.json', 'model.onnx']);

  const model = await loadDetector(modelDir);
  expect(model).toBeInstanceOf(AnomalibModel);
  try {
    // At the export's own size the pixels go in unchanged: sigmoid((220/255 - 40/255 - 0.3) * 20).
    expect((await model.detect(await picture(64, { at: 16, side: 16 }))).score).toBeCloseTo(1 / (1 + Math.exp(-((220 - 40) / 255 - 0.3) * 20)), 4);
    const bad = await model.detect(await picture(128, { at: 48, side: 32 }));
    expect(bad.isAnomalous).toBe(true);
    expect(bad.confidence).toBeGreaterThan(0.9);
    expect(bad.anomalies?.map((a) => a.name)).toEqual(['background', 'anomaly']);
    const area = bad.anomalies![1].totalPercentageArea;
    expect(area).toBeGreaterThan(0.04);
    expect(area).toBeLessThan(0.09);
    const { data, info } = await sharp(bad.mask!.png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([128, 128]);
    const at = (x: number, y: number) => [...data.subarray((y * 128 + x) * info.channels, (y * 128 + x) * info.channels + 3)];
    expect(at(64, 64)).toEqual([0xd6, 0x27, 0x28]);
    expect(at(5, 5)).toEqual([255, 255, 255]);

    const good = await model.detect(await picture(128));
    expect(good.isAnomalous).toBe(false);
    expect(good.score).toBeLessThan(0.01);
    expect(good.anomalies).toEqual([{ name: 'background', color: '#FFFFFF', totalPercentageArea: 1 }]);
    // A sensitivity moves anomalib's 0.5 as it moves a trained model's threshold.
    expect((await model.detect(await picture(128), undefined, { sensitivity: 0.9 })).threshold).toBeCloseTo(0.3, 6);
  } finally {
    await model.close();
  }
});

test("a v1 export: the metadata's min-max normalisation and thresholds give anomalib's normalised score", async () => {
  const modelDir = join(dir.path, 'v1');
  const header = await importAnomalibModel(anomalibV1(), V1_METADATA, modelDir);
  expect(header.imported).toMatchObject({
    exportVersion: 'v1',
    outputs: { map: 'output', score: null, mask: null },
    normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    raw: { imageThreshold: 5, pixelThreshold: 4, image: { min: 0, max: 40 }, pixel: { min: 0, max: 40 } },
  });
  expect(JSON.parse(await readFile(join(modelDir, 'metadata.json'), 'utf8'))).toEqual(V1_METADATA);
  const model = await loadDetector(modelDir);
  try {
    const bad = await model.detect(await picture(64, { at: 16, side: 16 }));
    // anomalib: ((raw - image_threshold) / (max - min)) + 0.5, clipped to 0-1; raw is the map's max.
    expect(bad.score).toBeCloseTo((v1Raw(RED) - 5) / 40 + 0.5, 4);
    expect(bad.isAnomalous).toBe(true);
    expect(bad.anomalies![1].totalPercentageArea).toBeCloseTo(256 / 4096, 2);
    const good = await model.detect(await picture(64));
    expect(good.score).toBeCloseTo((0 - 5) / 40 + 0.5, 4);
    expect(good.isAnomalous).toBe(false);
  } finally {
    await model.close();
  }
});

test.each([
  ['not ONNX', () => Buffer.from('definitely not a protobuf of a model'), null, /not an ONNX model/],
  ['two inputs', () => twoInputs(), null, /one image input; this model has 2 \(a, b\)/],
  ['a score but no map', () => scoreOnly(), V1_METADATA, /neither anomalib v2's .* nor a v1 anomaly map/],
  ['v1 without metadata', () => anomalibV1(), null, /anomalib v1 export .*: give its metadata\.json/],
  ['v1 metadata without thresholds', () => anomalibV1(), { min: 0, max: 40 }, /lacks image_threshold, pixel_threshold/],
  ['v1 metadata with max below min', () => anomalibV1(), { ...V1_METADATA, min: 50 }, /max \(40\) must be above its min \(50\)/],
  ['a grey-scale input', () => greyInput(), null, /input "input" must be a float tensor \[batch, 3, height, width\]; it is \[1, 1, 64, 64\]/],
])('%s: MODEL_IMPORT_INVALID naming what is wrong, and nothing written', async (_name, bytes, metadata, message) => {
  const modelDir = join(dir.path, 'refused');
  await expect(importAnomalibModel(bytes(), metadata, modelDir)).rejects.toMatchObject({
    code: 'MODEL_IMPORT_INVALID',
    message: expect.stringMatching(message),
  });
  await expect(readdir(modelDir)).rejects.toMatchObject({ code: 'ENOENT' });
});

describe('lookout-engine import', () => {
  const { out, err } = captureCliOutput();
  afterEach(() => {
    delete process.env.DATA_DIR;
  });

  test("--project adds the export as the project's next version under DATA_DIR; detect serves it", async () => {
    const data = join(dir.path, 'data');
    process.env.DATA_DIR = data;
    const file = join(dir.path, 'model.onnx');
    const meta = join(dir.path, 'metadata.json');
    await writeFile(file, anomalibV1());
    await writeFile(meta, JSON.stringify(V1_METADATA));
    expect(await main(['import', file, '--metadata', meta, '--project', 'bottle'])).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ project: 'bottle', version: '1', export: 'v1', type: 'segmentation' });
    out.length = 0;
    expect(await main(['import', file, '--metadata', meta, '--project', 'bottle'])).toBe(0);
    expect(JSON.parse(out.join('')).version).toBe('2');

    out.length = 0;
    const image = join(dir.path, 'red.png');
    await writeFile(image, await picture(64, { at: 16, side: 16 }));
    expect(await main(['detect', join(data, 'projects', 'bottle', 'models', '1'), image])).toBe(0);
    expect(JSON.parse(out.join('')).DetectAnomalyResult).toMatchObject({
      IsAnomalous: true,
      Anomalies: [{ Name: 'background' }, { Name: 'anomaly', PixelAnomaly: { Color: '#D62728' } }],
    });
  });

  test('usage errors exit 1; a file that does not fit exits 2 with its code', async () => {
    expect(await main(['import', 'x.onnx'])).toBe(1);
    expect(err.join('')).toMatch(/--project <name> or --out <model-dir>, one of them/);
    expect(await main(['import', 'x.onnx', '--project', '../up'])).toBe(1);
    const file = join(dir.path, 'v1-alone.onnx');
    await writeFile(file, anomalibV1());
    expect(await main(['import', file, '--out', join(dir.path, 'never')])).toBe(2);
    expect(err.join('')).toMatch(/error MODEL_IMPORT_INVALID: .*give its metadata\.json/);
    await expect(readdir(join(dir.path, 'never'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
