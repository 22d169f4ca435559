import { imageLimits, type Config } from '../../config';
import { resolve } from 'node:path';
import { readDataset, readDatasetSides } from '../dataset/folder';
import { trainModel } from '../train';
import { parseBuckets, parseChoice, parseExtractor, parsePositiveInt, parseRatio, parseRoi, parseShare, UsageError } from './args';

export async function runTrain(positionals: string[], v: Record<string, unknown>, config: Config): Promise<void> {
  const [dataset] = positionals;
  const out = v.out as string | undefined;
  if (!dataset || !out || positionals.length > 1) throw new UsageError('train needs one <dataset> and --out <model-dir>.');
  // Every option is checked before any file is read, so a typo fails fast with usage help.
  const buckets = parseBuckets(v.bucket as string[] | undefined);
  const settings = {
    extractor: parseExtractor(v.extractor as string | undefined, v.layers as string | undefined),
    resolution: parsePositiveInt(v.resolution as string | undefined, '--resolution'),
    roi: parseRoi(v.roi as string | undefined),
    seed: parsePositiveInt(v.seed as string | undefined, '--seed'),
    coresetRatio: parseRatio(v['coreset-ratio'] as string | undefined, '--coreset-ratio'),
    orientation: parseChoice(v.orientation as string | undefined, '--orientation', ['auto', 'any', 'fixed'] as const),
    scoring: parseChoice(v.scoring as string | undefined, '--scoring', ['local-contrast', 'max'] as const),
    limits: imageLimits(config),
  };
  const defectsInTraining = parseShare(v['defects-in-training'] as string | undefined, '--defects-in-training');
  const sides = await readDatasetSides(dataset, { buckets, defectsInTraining });
  if (sides.test && v.test) throw new UsageError(`${dataset} is an MVTec folder with its own test side; drop --test.`);
  if (!sides.test && defectsInTraining !== undefined) throw new UsageError('--defects-in-training applies to MVTec folders only.');
  const train = sides.train;
  const test = v.test ? await readDataset(v.test as string, { buckets }) : sides.test;
  let lastLine = '';
  const { header } = await trainModel({ train, test }, resolve(out), {
    ...settings,
    onProgress: ({ stage, done, total }) => {
      const line = `${stage}: ${done}/${total}`;
      if (line === lastLine) return;
      lastLine = line;
      // Carriage return on a terminal keeps progress on one line; a log gets every step.
      process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K${done === total ? '\n' : ''}` : `${line}\n`);
    },
  });
  process.stdout.write(
    JSON.stringify(
      {
        model: resolve(out),
        type: header.segmentation ? 'segmentation' : 'classification',
        input: header.input,
        roi: header.roi,
        scoring: header.scoring.method,
        orientation: { rotations: header.augmentation.rotations, measured: header.augmentation.orientationRatio ?? null },
        threshold: header.threshold,
        performance: { F1Score: header.metrics.f1, Precision: header.metrics.precision, Recall: header.metrics.recall },
        metrics: header.metrics,
        training: header.training,
      },
      null,
      2,
    ) + '\n',
  );
}
