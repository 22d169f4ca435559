import { imageLimits, type Config } from '../../config';
import { evaluateModel } from '../evaluate';
import { readDataset } from '../dataset/folder';
import { AnomalyModel } from '../detector';
import { parseBuckets, parseSensitivity, UsageError } from './args';

export async function runEval(positionals: string[], v: Record<string, unknown>, config: Config): Promise<void> {
  const [modelDir, dataset] = positionals;
  if (!modelDir || !dataset || positionals.length > 2) throw new UsageError('eval needs <model-dir> and <dataset>.');
  const data = await readDataset(dataset, { buckets: parseBuckets(v.bucket as string[] | undefined) });
  const model = await AnomalyModel.load(modelDir, { limits: imageLimits(config) });
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
