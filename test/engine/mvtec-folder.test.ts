import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { main } from '../../src/engine/cli/main';
import { captureCliOutput } from '../helpers/cli-output';
import { readDatasetSides } from '../../src/engine/dataset/folder';
import { folderLayout } from '../../src/engine/dataset/folder-layout';
import { entryMaskLabels } from '../../src/engine/dataset/masks';
import { AnomalyModel } from '../../src/engine/detector';
import { png, textureRgb } from '../helpers/images';
import { MVTEC_TYPES, writeMvtecFolder } from '../helpers/mvtec';
import { tempDir } from '../helpers/images';

/**
 * anomalib's folder layout (MVTec AD): good images are normals, each defect folder is an anomaly
 * type with its white-on-black masks, and a seeded share of each defect folder trains so the
 * model learns the types; `lookout-engine train` takes such a folder as it is.
 */

let dir: { path: string; cleanup: () => Promise<void> };
let root: string;

beforeAll(async () => {
  dir = await tempDir();
  root = join(dir.path, 'bottle');
  await writeMvtecFolder(root, { trainGood: 10, testGood: 4, perType: 4 });
});

afterAll(() => dir?.cleanup());

test('an MVTec folder reads as two sides: good images and half of each defect folder train, the rest tests', async () => {
  const sides = await readDatasetSides(root);
  expect(sides.kind).toBe('mvtec');
  const names = (d: typeof sides.train) => d.entries.map((e) => e.ref);
  const train = names(sides.train);
  const test = names(sides.test!);
  expect(train.filter((r) => r!.startsWith('train/good/'))).toHaveLength(10);
  expect(test.filter((r) => r!.startsWith('test/good/'))).toHaveLength(4);
  for (const type of Object.keys(MVTEC_TYPES)) {
    expect(train.filter((r) => r!.startsWith(`test/${type}/`))).toHaveLength(2);
    expect(test.filter((r) => r!.startsWith(`test/${type}/`))).toHaveLength(2);
  }
  expect(train.filter((r) => test.includes(r))).toEqual([]);
  expect(train.concat(test).some((r) => r!.includes('/._') || r!.includes('.DS_Store'))).toBe(false);
  // Same folder, same share: the same split every time.
  expect(names((await readDatasetSides(root)).train)).toEqual(train);

  // Types in folder order, each in its own colour, not the masks' white.
  const classes = sides.train.classes;
  expect(classes.map((c) => c.name)).toEqual(['hole', 'stain']);
  expect(new Set(classes.map((c) => c.color)).size).toBe(2);
  for (const c of classes) expect(['#FFFFFF', '#000000']).not.toContain(c.color);
  expect(sides.test!.classes).toEqual(classes);
});

test("each defect's white mask labels its own type's pixels, and good images carry no mask", async () => {
  const { train } = await readDatasetSides(root);
  const size = { width: 128, height: 128 };
  const full = { left: 0, top: 0, width: 128, height: 128 };
  for (const e of train.entries) {
    if (e.label === 'normal') {
      expect(e.mask).toBeUndefined();
      continue;
    }
    const labels = await entryMaskLabels(e, undefined, train.classes, size, full, size);
    const type = e.ref!.split('/')[1];
    const want = train.classes.findIndex((c) => c.name === type) + 1;
    const counts = new Map<number, number>();
    for (const v of labels) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([0, want]);
    const d = MVTEC_TYPES[type](Number(e.ref!.match(/(\d+)\.png$/)![1]));
    expect(counts.get(want)).toBeGreaterThan(Math.PI * d.r * d.r * 0.8);
  }
});

test('a share of 0 keeps the MVTec protocol: training sees good images only', async () => {
  const { train, test } = await readDatasetSides(root, { defectsInTraining: 0 });
  expect(train.entries.every((e) => e.label === 'normal')).toBe(true);
  expect(test!.entries.filter((e) => e.label === 'anomaly')).toHaveLength(8);
});

test('folders in neither layout, folders of categories, and defects without masks are refused by name', () => {
  expect(() => folderLayout(['images/a.png', 'labels.csv'], 'data')).toThrow(
    expect.objectContaining({ code: 'DATASET_INVALID', message: expect.stringMatching(/neither a Lookout for Vision folder .* nor an MVTec AD/) }),
  );
  expect(() => folderLayout(['bottle/train/good/000.png', 'cable/train/good/000.png'], 'mvtec')).toThrow(
    /2 MVTec categories \(bottle, cable\); give one of them/,
  );
  expect(() => folderLayout(['train/good/000.png', 'test/crack/000.png', 'test/crack/001.png', 'ground_truth/crack/000_mask.png'], 'data')).toThrow(
    expect.objectContaining({ code: 'DATASET_INVALID', message: expect.stringContaining('test/crack/001.png has no mask in ground_truth/crack/') }),
  );
  // anomalib's converted VisA names masks after their images.
  const visa = folderLayout(['train/good/a.JPG', 'test/bad/b.JPG', 'ground_truth/bad/b.png'], 'visa', 0);
  expect(visa.entries.find((e) => e.image === 'test/bad/b.JPG')).toMatchObject({ mask: 'ground_truth/bad/b.png', type: 'bad', side: 'test' });
});

describe('lookout-engine train <mvtec-folder>', () => {
  const { out, err } = captureCliOutput();

  test('trains a segmentation model with a type per defect folder, tested on the held-back side', async () => {
    const modelDir = join(dir.path, 'model');
    expect(await main(['train', root, '--out', modelDir, '--resolution', '128'])).toBe(0);
    const report = JSON.parse(out.join(''));
    expect(report.type).toBe('segmentation');
    expect(report.metrics.testSource).toBe('test-dataset');
    expect(report.metrics.testImages).toEqual({ normal: 4, anomaly: 4 });
    expect(report.training).toMatchObject({ normalImages: 10, anomalyImages: 4 });

    const model = await AnomalyModel.load(modelDir);
    try {
      const stain = MVTEC_TYPES.stain(40);
      const r = await model.detect(await png(textureRgb(9100, [stain])));
      expect(r.isAnomalous).toBe(true);
      expect(r.anomalies?.map((a) => a.name)).toContain('stain');
      expect((await model.detect(await png(textureRgb(9200)))).isAnomalous).toBe(false);
    } finally {
      await model.close();
    }
  });

  test('eval judges the side training did not see', async () => {
    expect(await main(['eval', join(dir.path, 'model'), root])).toBe(0);
    const report = JSON.parse(out.join(''));
    expect(report.images).toEqual({ normal: 4, anomaly: 4 });
  });

  test('--test beside an MVTec folder, and a share on a folder without defects, are usage errors', async () => {
    expect(await main(['train', root, '--out', join(dir.path, 'm2'), '--test', root])).toBe(1);
    expect(err.join('')).toMatch(/MVTec folder with its own test side; drop --test/);
    const plain = join(dir.path, 'plain');
    await mkdir(join(plain, 'normal'), { recursive: true });
    await writeFile(join(plain, 'normal', 'a.png'), await png(textureRgb(1)));
    expect(await main(['train', plain, '--out', join(dir.path, 'm3'), '--defects-in-training', '0.3'])).toBe(1);
    expect(await main(['train', root, '--out', join(dir.path, 'm4'), '--defects-in-training', '1.5'])).toBe(1);
    expect(err.join('')).toMatch(/--defects-in-training must be a number from 0 to 1/);
    await rm(plain, { recursive: true });
  });
});
