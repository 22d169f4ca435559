/**
 * `npm run bench:engine`: accuracy and speed of the embedded engine on the Lookout for Vision
 * sample datasets in ../shared/datasets (skipped, with a message, where they are absent).
 *
 * Protocol: stratified 4-fold cross-validation with seed 42. Each fold trains on three quarters
 * (normals fill the bank; labelled anomalies and their masks calibrate the threshold and name the
 * types, as a user's training set would) and is scored on the quarter it never saw; scores,
 * divided by each fold's threshold, are pooled over the folds. Latency is measured with `detect`
 * on the held-out images (decode included), next to the bare backbone forward pass on the same,
 * already decoded images, in the same run, so the ratio stays meaningful on a noisy machine.
 * Training time and model size come from one training on the whole dataset, as a user would.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { concatArrays } from '../src/engine/arrays';
import { readDataset } from '../src/engine/dataset/folder';
import { readMaskLabels } from '../src/engine/dataset/masks';
import type { Dataset, DatasetEntry } from '../src/engine/dataset/types';
import { AnomalyModel } from '../src/engine/detector';
import { getExtractor } from '../src/engine/features/extractor';
import { decodeForModel } from '../src/engine/image/decode';
import { auroc, confusionAt, pixelAuroc, quantile } from '../src/engine/metrics';
import { seededRng, shuffled } from '../src/engine/random';
import { pixelMap } from '../src/engine/segmentation';
import { trainModel, type TrainOptions } from '../src/engine/train';

const ROOT = resolve(__dirname, '..', '..', '..', 'shared', 'datasets');
const FOLDS = 4;
const SEED = 42;

const SETS = [
  { name: 'cookies', path: 'cookies/train.manifest', targets: { imageAuroc: 0.98, pixelAuroc: 0.96 } },
  { name: 'aliens', path: 'aliens', targets: { imageAuroc: 0.98 } },
  { name: 'circuitboard', path: 'circuitboard/train', targets: { imageAuroc: 0.95 } },
];

function folds(entries: DatasetEntry[]): DatasetEntry[][] {
  const rng = seededRng(SEED);
  const out: DatasetEntry[][] = Array.from({ length: FOLDS }, () => []);
  for (const label of ['normal', 'anomaly'] as const) shuffled(entries.filter((e) => e.label === label), rng).forEach((e, i) => out[i % FOLDS].push(e));
  return out;
}

function dirSize(dir: string): number {
  return readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));

async function benchDataset(set: (typeof SETS)[number], options: TrainOptions) {
  const data: Dataset = await readDataset(join(ROOT, set.path));
  const parts = folds(data.entries);
  const normal: number[] = [];
  const anomaly: number[] = [];
  let tp = 0, fp = 0, fn = 0;
  const detectMs: number[] = [];
  const backboneMs: number[] = [];
  const pixScores: Float32Array[] = [];
  const pixLabels: Uint8Array[] = [];
  for (let k = 0; k < FOLDS; k++) {
    const test = parts[k];
    const train = parts.filter((_, i) => i !== k).flat();
    const dir = join(tmpdir(), `bench-${set.name}-${k}-${process.pid}`);
    await trainModel({ train: { ...data, entries: train }, test: { ...data, entries: [] } }, dir, { ...options, seed: SEED });
    const model = await AnomalyModel.load(dir);
    const extractor = await getExtractor(model.header.extractor.spec);
    const foldNormal: number[] = [];
    const foldAnomaly: number[] = [];
    for (const e of test) {
      const bytes = await readFile(e.image);
      if (detectMs.length === 0) await model.detect(bytes); // warm-up
      let t = performance.now();
      const r = await model.detect(bytes);
      detectMs.push(performance.now() - t);
      const decoded = await decodeForModel(bytes, model.header.input, model.header.roi);
      t = performance.now();
      await extractor.extract(decoded);
      backboneMs.push(performance.now() - t);
      // Pooled over folds as score / threshold: each fold's model decides at 1, so pooling its
      // decision statistic measures the ranking the models deliver, not differences of scale.
      (e.label === 'normal' ? foldNormal : foldAnomaly).push(r.score / model.header.threshold);
      const seg = model.header.segmentation;
      if (seg && (e.label === 'normal' || e.mask)) {
        pixScores.push(pixelMap(r.anomalyMap, model.header.input).data);
        pixLabels.push(e.mask ? (await readMaskLabels(e.mask, seg.classes, r.image, r.anomalyMap.roi, model.header.input)).map((v) => (v ? 1 : 0)) : new Uint8Array(model.header.input.width * model.header.input.height));
      }
    }
    const c = confusionAt(foldNormal, foldAnomaly, 1);
    const foldTp = foldAnomaly.filter((s) => s >= 1).length;
    tp += foldTp;
    fn += foldAnomaly.length - foldTp;
    fp += foldNormal.filter((s) => s >= 1).length;
    normal.push(...foldNormal);
    anomaly.push(...foldAnomaly);
    process.stderr.write(`  ${set.name} fold ${k + 1}/${FOLDS}: AUROC ${fmt(auroc(foldNormal, foldAnomaly))}, F1 ${fmt(c.f1)}\n`);
    await model.close();
    await rm(dir, { recursive: true, force: true });
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;

  const fullDir = join(tmpdir(), `bench-${set.name}-full-${process.pid}`);
  const t0 = performance.now();
  const { header } = await trainModel({ train: data, test: { ...data, entries: [] } }, fullDir, { ...options, seed: SEED });
  const trainSeconds = (performance.now() - t0) / 1000;
  const size = dirSize(fullDir);
  await rm(fullDir, { recursive: true, force: true });

  const p50 = quantile(detectMs, 0.5);
  const b50 = quantile(backboneMs, 0.5);
  return {
    dataset: set.name,
    images: { normal: normal.length, anomaly: anomaly.length },
    input: header.input,
    roi: header.roi ? 'learned' : 'none',
    imageAuroc: auroc(normal, anomaly),
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    precision,
    recall,
    pixelAuroc: pixScores.length ? pixelAuroc(concatArrays(pixScores, (n) => new Float32Array(n)), concatArrays(pixLabels, (n) => new Uint8Array(n))) : null,
    detectMs: { p50, p95: quantile(detectMs, 0.95) },
    backboneMs: { p50: b50 },
    detectOverBackbone: p50 / b50,
    training: { images: data.entries.length, seconds: trainSeconds },
    modelMB: size / 1e6,
    targets: set.targets,
  };
}

async function main() {
  if (!existsSync(ROOT)) {
    console.log(`bench:engine: ${ROOT} is absent; nothing to measure. Place the shared datasets beside the repo.`);
    return;
  }
  const only = process.argv.slice(2);
  const options: TrainOptions = process.env.BENCH_OPTIONS ? JSON.parse(process.env.BENCH_OPTIONS) : {};
  const rows = [];
  for (const set of SETS.filter((s) => !only.length || only.includes(s.name))) {
    process.stderr.write(`${set.name}...\n`);
    rows.push(await benchDataset(set, options));
  }
  console.log('\nEngine benchmark: 4-fold stratified cross-validation, seed 42, pooled held-out scores');
  console.log('dataset       images   input     ROI      img AUROC  F1     P      R      px AUROC  detect p50/p95 ms  backbone p50 ms  detect/backbone  train s (imgs)  model MB');
  for (const r of rows) {
    console.log(
      [
        r.dataset.padEnd(13),
        `${r.images.normal}+${r.images.anomaly}`.padEnd(8),
        `${r.input.width}x${r.input.height}`.padEnd(9),
        r.roi.padEnd(8),
        fmt(r.imageAuroc).padEnd(10),
        fmt(r.f1).padEnd(6),
        fmt(r.precision).padEnd(6),
        fmt(r.recall).padEnd(6),
        fmt(r.pixelAuroc).padEnd(9),
        `${fmt(r.detectMs.p50, 1)}/${fmt(r.detectMs.p95, 1)}`.padEnd(18),
        fmt(r.backboneMs.p50, 1).padEnd(16),
        `${fmt(r.detectOverBackbone, 2)}x`.padEnd(16),
        `${fmt(r.training.seconds, 1)} (${r.training.images})`.padEnd(15),
        fmt(r.modelMB, 2),
      ].join(' '),
    );
  }
  console.log('\nTargets: image AUROC >= 0.98 cookies and aliens, >= 0.95 circuitboard; pixel AUROC >= 0.96 cookies;');
  console.log('p50 detect <= 60 ms for 576x768 (cookies); training <= 60 s for 50 images; model <= 50 MB.');
  console.log(JSON.stringify(rows));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
