import { impliedPerformance } from '../calibration';
import { readModelHeader } from '../model/model-store';
import { readSensitivity, writeSensitivity } from '../model/operating-point';
import { parseSensitivity, UsageError } from './args';

/**
 * `sensitivity <model-dir> [<s>]`: with a value, records it beside the model (detect, eval and a
 * gateway serving the folder then decide by it); either way prints what the recorded value
 * implies on the model's test split, and a few alternatives to compare.
 */
export async function runSensitivity(positionals: string[]): Promise<void> {
  const [modelDir, value] = positionals;
  if (!modelDir || positionals.length > 2) throw new UsageError('sensitivity needs <model-dir> and optionally a value between 0 and 1.');
  const chosen = parseSensitivity(value);
  const header = await readModelHeader(modelDir);
  if (chosen !== undefined) await writeSensitivity(modelDir, chosen);
  const calibration = { threshold: header.threshold, ...header.confidence };
  const scores = header.metrics.testScores;
  const current = await readSensitivity(modelDir);
  process.stdout.write(
    JSON.stringify(
      {
        model: modelDir,
        sensitivity: impliedPerformance(calibration, current, scores),
        alternatives: [0.1, 0.3, 0.5, 0.7, 0.9].map((s) => impliedPerformance(calibration, s, scores)),
        testImages: header.metrics.testImages,
      },
      null,
      2,
    ) + '\n',
  );
}
