import { join } from 'node:path';
import { readDataset } from '../../src/engine/dataset/folder';
import { DEFAULT_IMAGE_LIMITS } from '../../src/engine/image/image-header';
import { trainModel } from '../../src/engine/train';
import { LoadedModels } from '../../src/engine/worker/loaded-models';
import { WorkQueue } from '../../src/lib/work-queue';
import { png, tempDir, textureRgb, writeSegmentationDataset } from '../helpers/images';

/** The worker's loaded models within a memory budget: the least recently used go first, and come back on use. */

let dir: { path: string; cleanup: () => Promise<void> };
const models: string[] = [];

beforeAll(async () => {
  dir = await tempDir();
  const data = await readDataset(await writeSegmentationDataset(dir.path, 8, 0));
  for (const name of ['a', 'b', 'c']) {
    models.push(join(dir.path, name));
    await trainModel({ train: data }, join(dir.path, name), { resolution: 64, testFraction: 0.25, orientation: 'fixed' });
  }
});

afterAll(() => dir?.cleanup());

test('past the budget the least recently used model is closed, and loads again when asked for', async () => {
  const probe = new LoadedModels(Number.MAX_SAFE_INTEGER, new WorkQueue(1, 100));
  const size = await probe.with(models[0], DEFAULT_IMAGE_LIMITS, async (m) => m.memoryBytes);
  await probe.unload(models[0]);
  expect(size).toBeGreaterThan(0);

  // Room for two models.
  const loaded = new LoadedModels(size * 2 + 1, new WorkQueue(1, 100));
  const image = await png(textureRgb(77));
  const detect = (i: number) => loaded.with(models[i], DEFAULT_IMAGE_LIMITS, (m) => m.detect(image));
  await detect(0);
  await detect(1);
  await detect(0); // a is now more recent than b
  await detect(2);
  expect(loaded.dirs).toEqual([models[0], models[2]]);
  expect(loaded.bytes).toBeLessThanOrEqual(size * 2 + 1);
  // b comes back on use, and a (now the least recent) makes room.
  expect((await detect(1)).score).toBeGreaterThanOrEqual(0);
  expect(loaded.dirs).toEqual([models[2], models[1]]);
  for (const d of loaded.dirs) await loaded.unload(d);
  expect(loaded.bytes).toBe(0);
});
