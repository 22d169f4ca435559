/**
 * `npm run bench:export`: does the exported ONNX graph (lookout-engine export) judge the sample
 * sets' images as the server does, from raw pixels? For each set in ../shared/datasets (skipped,
 * with a message, where absent) it trains a model as a user would, exports it, and compares
 * (engine/export/parity.ts): the largest and mean score difference as a share of the threshold
 * (the tolerance the README documents), the verdicts that differ (the run fails on any), and the
 * time per image each way.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readDataset } from '../src/engine/dataset/folder';
import { AnomalyModel } from '../src/engine/detector';
import { exportModel } from '../src/engine/export/onnx-export';
import { exportParity } from '../src/engine/export/parity';
import { trainModel } from '../src/engine/train';

const DATASETS = resolve(__dirname, '..', '..', '..', 'shared', 'datasets');
const SAMPLE_SETS: [string, string][] = [
  ['cookies', join(DATASETS, 'cookies', 'train.manifest')],
  ['aliens', join(DATASETS, 'aliens')],
  ['circuitboard', join(DATASETS, 'circuitboard', 'train')],
];

async function main(): Promise<void> {
  if (!existsSync(DATASETS)) {
    console.log(`export parity: skipped, ${DATASETS} is absent`);
    return;
  }
  const work = await mkdtemp(join(tmpdir(), 'lookout-export-parity-'));
  let flips = 0;
  try {
    console.log('set            images  max |graph - server| / threshold  mean    verdicts differing  ms/image graph  ms/image server');
    for (const [name, path] of SAMPLE_SETS) {
      if (!existsSync(path)) continue;
      const data = await readDataset(path);
      const dir = join(work, name);
      await trainModel({ train: data }, dir, {});
      const model = await AnomalyModel.load(dir);
      try {
        const p = await exportParity(model, (await exportModel(dir)).bytes, data.entries);
        flips += p.differing.length;
        console.log(
          `${name.padEnd(14)} ${String(p.images).padStart(6)}  ${p.maxDifference.toFixed(4).padStart(31)}  ${p.meanDifference.toFixed(4)}  ${String(p.differing.length).padStart(18)}  ${p.graphMs.toFixed(1).padStart(14)}  ${p.serverMs.toFixed(1).padStart(15)}`,
        );
      } finally {
        await model.close();
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  if (flips) process.exitCode = 1;
}

void main();
