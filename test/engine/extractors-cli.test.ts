import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { main } from '../../src/engine/cli/main';
import { captureCliOutput } from '../helpers/cli-output';
import { readDataset } from '../../src/engine/dataset/folder';
import { AnomalyModel } from '../../src/engine/detector';
import type { ExtractorSpec } from '../../src/engine/features/extractor';
import { GraphBuilder } from '../../src/engine/onnx/graph-builder';
import { trainModel } from '../../src/engine/train';
import { png, tempDir, textureRgb, writeSegmentationDataset, type Defect } from '../helpers/images';

const defect: Defect = { cx: 60, cy: 70, r: 10, rgb: [40, 40, 200] };
let dir: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir();
  // A folder dataset: normal/ and anomaly/.
  await mkdir(join(dir.path, 'folder', 'normal'), { recursive: true });
  await mkdir(join(dir.path, 'folder', 'anomaly'), { recursive: true });
  for (let i = 0; i < 8; i++) await writeFile(join(dir.path, 'folder', 'normal', `n${i}.png`), await png(textureRgb(200 + i)));
  for (let i = 0; i < 3; i++)
    await writeFile(join(dir.path, 'folder', 'anomaly', `a${i}.png`), await png(textureRgb(300 + i, [{ ...defect, cx: 30 + 20 * i }])));
});

afterAll(() => dir?.cleanup());

async function trainAndCheck(extractor: ExtractorSpec, name: string, strict = true) {
  const out = join(dir.path, name);
  await trainModel({ train: await readDataset(join(dir.path, 'folder')) }, out, { resolution: 128, extractor });
  const model = await AnomalyModel.load(out);
  try {
    expect(model.isSegmentation).toBe(false);
    const bad = await model.detect(await png(textureRgb(9100, [defect])));
    const good = await model.detect(await png(textureRgb(9101)));
    expect(model.header.extractor.spec).toEqual(extractor);
    expect(bad.score).toBeGreaterThan(good.score);
    if (strict) {
      expect(bad.isAnomalous).toBe(true);
      expect(good.isAnomalous).toBe(false);
    }
    expect(bad.anomalies).toBeUndefined();
    expect(bad.mask).toBeUndefined();
  } finally {
    await model.close();
  }
}

test('the weight-free handcrafted extractor trains and detects', async () => {
  await trainAndCheck({ kind: 'handcrafted' }, 'handcrafted');
});

test("a user's own ONNX backbone is used through its named layer outputs", async () => {
  // A small two-stage conv net standing in for an exported torchvision model.
  const g = new GraphBuilder('user_backbone');
  g.input('pixels', [1, 3, 'h', 'w']);
  const w1 = Float32Array.from({ length: 8 * 3 * 9 }, (_, i) => Math.sin(i * 1.7) * 0.3);
  const s1 = g.op(
    'Relu',
    [
      g.op('Conv', ['pixels', g.floats('w1', [8, 3, 3, 3], w1), g.floats('b1', [8], new Float32Array(8))], {
        kernel_shape: [3, 3],
        strides: [4, 4],
        pads: [1, 1, 1, 1],
      }),
    ],
    {},
    'stage1',
  );
  const w2 = Float32Array.from({ length: 16 * 8 * 9 }, (_, i) => Math.cos(i * 0.9) * 0.2);
  g.op(
    'Relu',
    [
      g.op('Conv', [s1, g.floats('w2', [16, 8, 3, 3], w2), g.floats('b2', [16], new Float32Array(16))], {
        kernel_shape: [3, 3],
        strides: [2, 2],
        pads: [1, 1, 1, 1],
      }),
    ],
    {},
    'stage2',
  );
  g.output('stage2', [1, 16, 'a', 'b']);
  const file = join(dir.path, 'user.onnx');
  await writeFile(file, g.toBytes());
  // Random weights make weak features: the plumbing is under test here, so only the ranking is checked.
  await trainAndCheck({ kind: 'onnx', path: file, layers: ['stage1', 'stage2'] }, 'user-onnx', false);
  await expect(
    trainModel({ train: await readDataset(join(dir.path, 'folder')) }, join(dir.path, 'x'), { extractor: { kind: 'onnx', path: file, layers: ['nope'] } }),
  ).rejects.toMatchObject({ code: 'MODEL_INCOMPATIBLE' });
});

describe('command line', () => {
  const { out, err } = captureCliOutput();

  test('train, detect and eval on a manifest', async () => {
    const manifest = await writeSegmentationDataset(join(dir.path, 'cli-data'), 8, 4);
    const modelDir = join(dir.path, 'cli-model');
    const code = await main(['train', manifest, '--out', modelDir, '--resolution', '128']);
    expect(err.join('')).not.toMatch(/error/);
    expect(code).toBe(0);
    const trained = JSON.parse(out.join(''));
    expect(trained.type).toBe('segmentation');
    expect(err.join('')).toMatch(/features: normal images: \d+\/\d+/);

    out.length = 0;
    const image = join(dir.path, 'probe.png');
    await writeFile(image, await png(textureRgb(9200, [defect])));
    const maskFile = join(dir.path, 'probe-mask.png');
    const heatFile = join(dir.path, 'probe-heat.png');
    expect(await main(['detect', modelDir, image, '--mask', maskFile, '--heatmap', heatFile])).toBe(0);
    // The heat map is red over the defect and blue far from it.
    const heat = await sharp(heatFile).raw().toBuffer({ resolveWithObject: true });
    expect([heat.info.width, heat.info.height]).toEqual([128, 128]);
    const at = (x: number, y: number) => [...heat.data.subarray((y * 128 + x) * 3, (y * 128 + x) * 3 + 3)];
    expect(at(defect.cx, defect.cy)[0]).toBeGreaterThan(at(defect.cx, defect.cy)[2]);
    expect(at(5, 120)[2]).toBeGreaterThan(at(5, 120)[0]);
    const result = JSON.parse(out.join('')).DetectAnomalyResult;
    expect(result.IsAnomalous).toBe(true);
    expect(result.Anomalies[0].Name).toBe('background');
    expect((await readFile(maskFile)).equals(Buffer.from(result.AnomalyMask, 'base64'))).toBe(true);

    out.length = 0;
    expect(await main(['eval', modelDir, manifest])).toBe(0);
    const report = JSON.parse(out.join(''));
    expect(report.images).toEqual({ normal: 8, anomaly: 4 });
    expect(report.imageAuroc).toBeGreaterThan(0.9);
    expect(report.pixelAuroc).toBeGreaterThan(0.9);
    expect(report.latencyMs.p50).toBeGreaterThan(0);
  });

  test('help, usage errors and typed errors have their own exit codes', async () => {
    expect(await main(['--help'])).toBe(0);
    expect(out.join('')).toMatch(/Usage: lookout-engine/);
    expect(await main(['train'])).toBe(1);
    expect(await main(['bogus'])).toBe(1);
    expect(await main(['train', 'x', '--out', 'y', '--roi', '2,0,1,1'])).toBe(1);
    expect(await main(['train', 'x', '--out', 'y', '--coreset-ratio', '0'])).toBe(1);
    const image = join(dir.path, 'usage-probe.png');
    await writeFile(image, await png(textureRgb(9300)));
    expect(await main(['detect', join(dir.path, 'no-model'), image])).toBe(2);
    expect(err.join('')).toMatch(/error MODEL_NOT_FOUND/);
    expect(await main(['train', join(dir.path, 'missing'), '--out', join(dir.path, 'm')])).toBe(2);
    expect(err.join('')).toMatch(/error DATASET_INVALID/);
  });
});
