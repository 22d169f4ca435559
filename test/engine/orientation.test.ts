import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { applyVariation } from '../../src/engine/augment/variations';
import { readDataset } from '../../src/engine/dataset/folder';
import { AnomalyModel } from '../../src/engine/detector';
import { seededRng } from '../../src/engine/random';
import { trainModel } from '../../src/engine/train';
import { AUGMENTED_BANK_GROWTH } from '../../src/engine/training/memory-bank';
import { ANY_ORIENTATION_RATIO } from '../../src/engine/training/orientation';
import { tempDir } from '../helpers/images';

/**
 * Orientation, decided from the normals: striped parts that always lie the same way train a
 * model that flags a turned part; the same parts photographed at any angle train one that
 * learns every normal rotated and lets a turned part pass. Nobody says which is which: the
 * default, 'auto', must notice.
 */

const SIZE = 128;

/** Horizontal stripes with a grain of their own: a part with a direction, placed by a fixture. */
async function stripes(seed: number): Promise<Buffer> {
  const rng = seededRng(seed);
  const phase = 0;
  const rgb = Buffer.alloc(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const v = ((y + phase) % 16 < 8 ? 170 : 70) + (rng() - 0.5) * 20;
      rgb.fill(Math.round(v), (y * SIZE + x) * 3, (y * SIZE + x) * 3 + 3);
    }
  return sharp(rgb, { raw: { width: SIZE, height: SIZE, channels: 3 } })
    .png()
    .toBuffer();
}

async function writeNormals(dir: string, count: number, turn: (i: number) => number | null): Promise<void> {
  await mkdir(join(dir, 'normal'), { recursive: true });
  await mkdir(join(dir, 'anomaly'), { recursive: true });
  for (let i = 0; i < count; i++) {
    const degrees = turn(i);
    const image = await stripes(10 + i);
    await writeFile(join(dir, 'normal', `${i}.png`), degrees === null ? image : await applyVariation(image, { kind: 'rotate', degrees }));
  }
}

let dir: { path: string; cleanup: () => Promise<void> };
let fixed: AnomalyModel;
let any: AnomalyModel;

beforeAll(async () => {
  dir = await tempDir();
  const angles = seededRng(3);
  await writeNormals(join(dir.path, 'fixed'), 10, () => null);
  await writeNormals(join(dir.path, 'any'), 10, () => Math.round(angles() * 360));
  for (const name of ['fixed', 'any']) {
    await trainModel({ train: await readDataset(join(dir.path, name)) }, join(dir.path, `${name}-model`), { resolution: 128, testFraction: 0, roi: 'none' });
  }
  fixed = await AnomalyModel.load(join(dir.path, 'fixed-model'));
  any = await AnomalyModel.load(join(dir.path, 'any-model'));
}, 120_000);

afterAll(async () => {
  await fixed?.close();
  await any?.close();
  await dir?.cleanup();
});

test('auto: parts that always lie the same way keep a fixed orientation', () => {
  expect(fixed.header.augmentation.orientation).toBe('auto');
  expect(fixed.header.augmentation.orientationRatio).toBeGreaterThanOrEqual(ANY_ORIENTATION_RATIO);
  expect(fixed.header.augmentation.rotations).toEqual([]);
});

test('auto: parts photographed at any angle make the bank learn rotations, in a bank of bounded size', () => {
  expect(any.header.augmentation.orientationRatio).toBeLessThan(ANY_ORIENTATION_RATIO);
  expect(any.header.augmentation.rotations.length).toBeGreaterThan(0);
  // Detection time follows the bank: six views per normal, but not six times the rows.
  expect(any.header.scoring.bankRows).toBeGreaterThanOrEqual(fixed.header.scoring.bankRows);
  expect(any.header.scoring.bankRows).toBeLessThanOrEqual(AUGMENTED_BANK_GROWTH * fixed.header.scoring.bankRows);
});

test('a turned good part is flagged by the fixed model and passes the any-orientation one', async () => {
  const turned = await applyVariation(await stripes(99), { kind: 'rotate', degrees: 90 });
  expect((await fixed.detect(turned)).isAnomalous).toBe(true);
  const atAnAngle = await applyVariation(await stripes(98), { kind: 'rotate', degrees: 63 });
  expect((await any.detect(atAnAngle)).isAnomalous).toBe(false);
  // Both still pass a new part lying as their normals do.
  expect((await fixed.detect(await stripes(97))).isAnomalous).toBe(false);
});

test("'fixed' overrides what the normals say, and is recorded", async () => {
  const out = join(dir.path, 'forced-fixed');
  const { header } = await trainModel({ train: await readDataset(join(dir.path, 'any')) }, out, {
    resolution: 128,
    testFraction: 0,
    roi: 'none',
    orientation: 'fixed',
  });
  expect(header.augmentation).toEqual({ rotations: [], orientation: 'fixed', orientationRatio: null });
}, 60_000);
