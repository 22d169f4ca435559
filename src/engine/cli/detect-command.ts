import { imageLimits, type Config } from '../../config';
import { readFile, writeFile } from 'node:fs/promises';
import { AppError } from '../../errors';
import { toLookoutResult } from '../detector';
import { loadDetector } from '../load-detector';
import { renderHeatMap } from '../heatmap';
import { parseSensitivity, UsageError } from './args';

export async function runDetect(positionals: string[], v: Record<string, unknown>, config: Config): Promise<void> {
  const [modelDir, image] = positionals;
  if (!modelDir || !image || positionals.length > 2) throw new UsageError('detect needs <model-dir> and <image>.');
  let bytes: Buffer;
  try {
    bytes = await readFile(image);
  } catch (err) {
    throw new AppError('BAD_USER_INPUT', `The image ${image} cannot be read: ${(err as Error).message}`);
  }
  const model = await loadDetector(modelDir, { limits: imageLimits(config) });
  try {
    const r = await model.detect(bytes, undefined, { sensitivity: parseSensitivity(v.sensitivity as string | undefined) });
    if (v.mask && r.mask) await writeFile(v.mask as string, r.mask.png);
    if (v.heatmap) await writeFile(v.heatmap as string, await renderHeatMap(r));
    const out: Record<string, unknown> = { DetectAnomalyResult: toLookoutResult(r) };
    if (v.verbose) out.Score = { value: r.score, threshold: r.threshold };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } finally {
    await model.close();
  }
}
