import { imageLimits, type Config } from '../../config';
import { evaluateModel } from '../evaluate';
import { readDatasetSides } from '../dataset/folder';
import { loadDetector } from '../load-detector';
import { parseBuckets, parseSensitivity, parseShare, UsageError } from './args';

export async function runEval(positionals: string[], v: Record<string, unknown>, config: Config): Promise<void> {
  const [modelDir, dataset] = positionals;
  if (!modelDir || !dataset || positionals.length > 2) throw new UsageError('eval needs <model-dir> and <dataset>.');
  const defectsInTraining = parseShare(v['defects-in-training'] as string | undefined, '--defects-in-training');
  const sides = await readDatasetSides(dataset, { buckets: parseBuckets(v.bucket as string[] | undefined), defectsInTraining });
  // An MVTec folder is judged on its test side: the images its training did not see.
  const data = sides.test ?? sides.train;
  const model = await loadDetector(modelDir, { limits: imageLimits(config) });
  try {
    const sensitivity = parseSensitivity(v.sensitivity as string | undefined);
    const report = await evaluateModel(
      model,
      data.entries,
      ({ done, total }) => process.stderr.write(process.stderr.isTTY ? `\revaluating ${done}/${total}` : `evaluating ${done}/${total}\n`),
      sensitivity,
    );
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } finally {
    await model.close();
  }
}
