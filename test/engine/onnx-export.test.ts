import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import sharp from 'sharp';
import { readDataset, readDatasetSides } from '../../src/engine/dataset/folder';
import { exportModel } from '../../src/engine/export/onnx-export';
import { MVTEC_TYPES, writeMvtecFolder } from '../helpers/mvtec';
import { AnomalyModel } from '../../src/engine/detector';
import { decodeForModel, decodeRgb } from '../../src/engine/image/decode';
import { main } from '../../src/engine/cli/main';
import { trainModel } from '../../src/engine/train';
import { importAnomalibModel } from '../../src/engine/imported/import-model';
import { anomalibV2 } from '../helpers/anomalib-exports';
import { defectFor, jpeg, png, tempDir, textureRgb, writeSegmentationDataset } from '../helpers/images';

/**
 * `lookout-engine export` writes one ONNX graph that onnxruntime runs with no project code:
 * given the server's own resized input it scores as the server does (to 1e-4); given raw
 * pixels of any size it crops and resizes itself and lands within the documented tolerance,
 * with the same verdicts. The test only feeds pixels and reads outputs, as a Python user would.
 */

let dir: { path: string; cleanup: () => Promise<void> };
let modelDir: string;
let model: AnomalyModel;
let session: ort.InferenceSession;
let metadata: Record<string, string>;

beforeAll(async () => {
  dir = await tempDir();
  const manifest = await writeSegmentationDataset(dir.path, 12, 6);
  modelDir = join(dir.path, 'model');
  // A region of interest, so the graph's crop is exercised too.
  await trainModel({ train: await readDataset(manifest) }, modelDir, { resolution: 128, roi: { left: 0.05, top: 0.05, width: 0.9, height: 0.9 } });
  model = await AnomalyModel.load(modelDir);
  const out = join(dir.path, 'model.onnx');
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  expect(await main(['export', modelDir, '--out', out])).toBe(0);
  jest.restoreAllMocks();
  const bytes = await readFile(out);
  session = await ort.InferenceSession.create(bytes);
  // What any ONNX reader sees: the model's metadata_props.
  metadata = Object.fromEntries(onnx.ModelProto.decode(bytes).metadataProps.map((p) => [p.key, p.value]));
}, 120_000);

afterAll(async () => {
  await session?.release();
  await model?.close();
  await dir?.cleanup();
});

async function run(pixels: { width: number; height: number; data: Buffer }, roi: number[] = JSON.parse(metadata.roi)) {
  const out = await session.run({
    image: new ort.Tensor('uint8', new Uint8Array(pixels.data), [pixels.height, pixels.width, 3]),
    roi: new ort.Tensor('float32', Float32Array.from(roi), [4]),
  });
  return {
    score: (out.score.data as Float32Array)[0],
    confidence: (out.confidence.data as Float32Array)[0],
    isAnomalous: Boolean((out.is_anomalous.data as Uint8Array)[0]),
    map: out.anomaly_map,
    classes: out.anomaly_class,
  };
}

const images = async () => [
  ...(await Promise.all([0, 1, 2, 3].map((i) => png(textureRgb(8000 + i))))),
  ...(await Promise.all([0, 1, 2, 3].map((i) => png(textureRgb(8100 + i, [defectFor(i + 20)]))))),
];

test("given the server's own resized input, the graph scores as the server does (1e-4)", async () => {
  for (const bytes of await images()) {
    const server = await model.detect(bytes);
    const resized = await decodeForModel(bytes, model.header.input, model.header.roi);
    const g = await run(resized, [0, 0, 1, 1]);
    expect(Math.abs(g.score - server.score)).toBeLessThan(1e-4);
    expect(Math.abs(g.confidence - server.confidence)).toBeLessThan(1e-4);
    expect(g.isAnomalous).toBe(server.isAnomalous);
    expect(g.map.dims).toEqual([server.anomalyMap.height, server.anomalyMap.width]);
    const map = g.map.data as Float32Array;
    for (let i = 0; i < map.length; i++) expect(Math.abs(map[i] - server.anomalyMap.data[i])).toBeLessThan(1e-4);
  }
});

test('from raw pixels of any size the graph crops and resizes itself, within tolerance and with the same verdicts', async () => {
  const diffs: number[] = [];
  for (const bytes of await images()) {
    for (const variant of [bytes, await sharp(bytes).resize(256, 256).png().toBuffer(), await jpeg(textureRgb(1), 128)]) {
      const server = await model.detect(variant);
      const g = await run(await decodeRgb(variant));
      diffs.push(Math.abs(g.score - server.score) / Math.max(1e-6, Math.abs(server.threshold)));
      expect(g.isAnomalous).toBe(server.isAnomalous);
    }
  }
  console.log(`raw-pixel score difference, as a share of the threshold: max ${Math.max(...diffs).toFixed(4)}`);
  expect(Math.max(...diffs)).toBeLessThan(0.05);
});

test("the metadata carries the model's threshold, region and types, and anomaly_class names each cell's nearest type", async () => {
  const server = await model.detect(await png(textureRgb(8100, [defectFor(21)])));
  expect(metadata).toMatchObject({ format: 'lookout-gateway.onnx-export/1', input_width: '128', input_height: '128' });
  expect(Number(metadata.threshold)).toBeCloseTo(server.threshold, 6);
  expect(Number(metadata.map_threshold)).toBeCloseTo(server.mapThreshold, 6);
  expect(JSON.parse(metadata.roi)).toEqual([0.05, 0.05, 0.9, 0.9]);
  expect(JSON.parse(metadata.classes)).toEqual(model.header.segmentation!.classes);
  const g = await run(await decodeRgb(await png(textureRgb(8100, [defectFor(21)]))));
  expect(g.classes.dims).toEqual([server.anomalyMap.height, server.anomalyMap.width]);
  expect(new Set(g.classes.data as BigInt64Array)).toEqual(new Set([1n]));
});

test('an imported model is refused with its reason: it is an ONNX file already', async () => {
  const imported = join(dir.path, 'imported');
  await importAnomalibModel(anomalibV2(), null, imported);
  const err: string[] = [];
  jest.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  expect(await main(['export', imported, '--out', join(dir.path, 'x.onnx')])).toBe(2);
  jest.restoreAllMocks();
  expect(err.join('')).toMatch(/error MODEL_INCOMPATIBLE: The model was imported from anomalib; its ONNX file is model.onnx/);
});

test("the handcrafted backbone and the 'max' score export too, and score as the server does", async () => {
  const manifest = await writeSegmentationDataset(join(dir.path, 'hc-data'), 8, 0);
  const hcDir = join(dir.path, 'hc');
  await trainModel({ train: await readDataset(manifest) }, hcDir, { resolution: 96, roi: 'none', extractor: { kind: 'handcrafted' }, scoring: 'max' });
  const hc = await AnomalyModel.load(hcDir);
  const file = join(dir.path, 'hc.onnx');
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  expect(await main(['export', hcDir, '--out', file])).toBe(0);
  jest.restoreAllMocks();
  const s = await ort.InferenceSession.create(await readFile(file));
  try {
    expect(s.outputNames).not.toContain('anomaly_class');
    for (const bytes of await images()) {
      const server = await hc.detect(bytes);
      const px = await decodeRgb(bytes);
      const out = await s.run({
        image: new ort.Tensor('uint8', new Uint8Array(px.data), [px.height, px.width, 3]),
        roi: new ort.Tensor('float32', Float32Array.from([0, 0, 1, 1]), [4]),
      });
      // 128 px images shrink to 96: the graph resizes them itself, within the documented tolerance.
      expect(Math.abs((out.score.data as Float32Array)[0] - server.score) / server.threshold).toBeLessThan(0.03);
      expect(Boolean((out.is_anomalous.data as Uint8Array)[0])).toBe(server.isAnomalous);
    }
  } finally {
    await s.release();
    await hc.close();
  }
});

test("with two anomaly types, anomaly_class names the type the server's mask paints over the defect", async () => {
  const root = join(dir.path, 'mvtec');
  await writeMvtecFolder(root, { trainGood: 10, testGood: 2, perType: 4 });
  const sides = await readDatasetSides(root);
  const typed = join(dir.path, 'typed');
  await trainModel({ train: sides.train, test: sides.test }, typed, { resolution: 128, roi: 'none' });
  const m = await AnomalyModel.load(typed);
  const { bytes } = await exportModel(typed);
  const s = await ort.InferenceSession.create(bytes);
  try {
    const classes = m.header.segmentation!.classes;
    expect(classes.map((c) => c.name)).toEqual(['hole', 'stain']);
    for (const [type, seed] of [
      ['stain', 9100],
      ['hole', 9300],
    ] as const) {
      const d = MVTEC_TYPES[type](40);
      const image = await png(textureRgb(seed, [d]));
      const server = await m.detect(image);
      const mask = await sharp(server.mask!.png).raw().toBuffer({ resolveWithObject: true });
      const at = (d.cy * mask.info.width + d.cx) * mask.info.channels;
      const painted = `#${[...mask.data.subarray(at, at + 3)].map((v) => v.toString(16).padStart(2, '0')).join('')}`.toUpperCase();
      expect(painted).toBe(classes.find((c) => c.name === type)!.color);
      const px = await decodeRgb(image);
      const out = await s.run({
        image: new ort.Tensor('uint8', new Uint8Array(px.data), [px.height, px.width, 3]),
        roi: new ort.Tensor('float32', Float32Array.from([0, 0, 1, 1]), [4]),
      });
      const [gh, gw] = out.anomaly_class.dims as number[];
      const cell = Math.floor((d.cy / 128) * gh) * gw + Math.floor((d.cx / 128) * gw);
      expect(classes[Number((out.anomaly_class.data as BigInt64Array)[cell]) - 1].name).toBe(type);
    }
  } finally {
    await s.release();
    await m.close();
  }
});
