import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readDataset } from '../../src/engine/dataset/folder';
import { AnomalyModel } from '../../src/engine/detector';
import { exportModel } from '../../src/engine/export/onnx-export';
import { exportParity } from '../../src/engine/export/parity';
import { trainModel } from '../../src/engine/train';
import { tempDir } from '../helpers/images';

/**
 * The exported graph on a real sample set, from raw pixels: within the README's tolerance (3 % of
 * the threshold) and never a verdict of its own. One set here (aliens: 78 photographs, about 45 s);
 * `npm run bench:export` runs all three (cookies and circuit boards take 1.5 min each). Skipped
 * where ../shared/datasets is absent.
 */

const DATASETS = resolve(__dirname, '..', '..', '..', 'shared', 'datasets');
const SETS: [string, string][] = [['aliens', join(DATASETS, 'aliens')]];
const present = SETS.filter(([, path]) => existsSync(path));
if (!present.length) console.warn(`export sample sets: skipped, ${DATASETS} is absent`);

(present.length ? test.each(present) : test.skip.each(SETS))(
  '%s: the graph from raw pixels agrees with the server on every verdict',
  async (_name, path) => {
    const dir = await tempDir();
    try {
      const data = await readDataset(path);
      await trainModel({ train: data }, dir.path, {});
      const model = await AnomalyModel.load(dir.path);
      try {
        const parity = await exportParity(model, (await exportModel(dir.path)).bytes, data.entries);
        expect(parity.differing).toEqual([]);
        expect(parity.maxDifference).toBeLessThan(0.03);
      } finally {
        await model.close();
      }
    } finally {
      await dir.cleanup();
    }
  },
  240_000,
);
