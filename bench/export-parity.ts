/**
 * `npm run bench:export`: does the exported ONNX graph (lookout-engine export) judge the sample
 * sets' images as the server does, from raw pixels? For each set in ../shared/datasets (skipped,
 * with a message, where absent) it trains a model as a user would, exports it, then scores every
 * image twice: through the server's detect, and through the graph in plain onnxruntime with the
 * image's decoded pixels and the metadata's region. It prints the largest score difference (as
 * a share of the threshold, the scale verdicts turn on) and the verdicts that differ: the
 * tolerance the README documents, and the promise that it never flips a verdict here.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { readDataset } from '../src/engine/dataset/folder';
import { readImage } from '../src/engine/dataset/read-entry';
import { AnomalyModel } from '../src/engine/detector';
import { exportModel } from '../src/engine/export/onnx-export';
import { decodeRgb } from '../src/engine/image/decode';
import { trainModel } from '../src/engine/train';

const DATASETS = resolve(__dirname, '..', '..', '..', 'shared', 'datasets');
const SETS: [string, string][] = [
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
    console.log('set            images  max |graph - server| / threshold  mean   verdicts differing  ms/image graph  ms/image server');
    for (const [name, path] of SETS) {
      if (!existsSync(path)) continue;
      const data = await readDataset(path);
      const dir = join(work, name);
      await trainModel({ train: data }, dir, {});
      const model = await AnomalyModel.load(dir);
      const { bytes } = await exportModel(dir);
      const session = await ort.InferenceSession.create(bytes);
      const roi = JSON.parse(Object.fromEntries(onnx.ModelProto.decode(bytes).metadataProps.map((p) => [p.key, p.value])).roi) as number[];
      const diffs: number[] = [];
      let differing = 0;
      let graphMs = 0;
      let serverMs = 0;
      for (const e of data.entries) {
        const image = await readImage(e);
        let t = performance.now();
        const server = await model.detect(image);
        serverMs += performance.now() - t;
        const px = await decodeRgb(image);
        t = performance.now();
        const out = await session.run({
          image: new ort.Tensor('uint8', new Uint8Array(px.data), [px.height, px.width, 3]),
          roi: new ort.Tensor('float32', Float32Array.from(roi), [4]),
        });
        graphMs += performance.now() - t;
        const score = (out.score.data as Float32Array)[0];
        diffs.push(Math.abs(score - server.score) / Math.abs(server.threshold));
        if (Boolean((out.is_anomalous.data as Uint8Array)[0]) !== server.isAnomalous) differing++;
      }
      flips += differing;
      const n = data.entries.length;
      console.log(
        `${name.padEnd(14)} ${String(n).padStart(6)}  ${Math.max(...diffs)
          .toFixed(4)
          .padStart(
            31,
          )}  ${(diffs.reduce((a, b) => a + b, 0) / n).toFixed(4)}  ${String(differing).padStart(18)}  ${(graphMs / n).toFixed(1).padStart(14)}  ${(serverMs / n).toFixed(1).padStart(15)}`,
      );
      await session.release();
      await model.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  if (flips) process.exitCode = 1;
}

void main();
