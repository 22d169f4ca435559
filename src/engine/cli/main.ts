#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config';
import { isAppError } from '../../errors';
import { setIntraOpThreads } from '../onnx/session';
import { UsageError } from './args';
import { runDetect } from './detect-command';
import { runEval } from './eval-command';
import { runSensitivity } from './sensitivity-command';
import { runTrain } from './train-command';

/**
 * `lookout-engine`: train, detect and evaluate without the gateway. Results go to stdout as JSON
 * (detect prints Lookout for Vision's DetectAnomalyResult shape), progress and errors to stderr,
 * so the output can be piped.
 */

const HELP = `Usage: lookout-engine <command> [options]

Commands:
  train <dataset> --out <model-dir>   Train a model. <dataset> is a folder with normal/ and
                                      anomaly/ subfolders, or a Lookout for Vision manifest.
      --test <dataset>                Evaluate on this dataset instead of an automatic split.
      --resolution <px>               Long side of the model input (default: from image size).
      --roi <auto|none|l,t,w,h>       Region of interest; fractions of the image (default auto).
      --extractor <name>              mobilenet-v2 (default), handcrafted, or onnx:<file>.
      --layers <a,b,...>              Feature layers of the extractor.
      --coreset-ratio <r>             Share of normal patches kept in the memory bank
                                      (default 0.05, or 0.1 at 512 px and more).
      --orientation <auto|any|fixed>  Whether parts lie in any orientation; auto asks the
                                      training normals (default auto).
      --scoring <local-contrast|max>  Image score: local contrast (default) or the map's max.
      --seed <n>                      Seed for the split and the coreset (default 42).
      --bucket <name=folder>          Map s3://name/... references to a local folder (repeatable).
  detect <model-dir> <image>          Score one PNG or JPEG; prints a DetectAnomalyResult.
      --mask <file.png>               Also write the anomaly mask (segmentation models).
      --heatmap <file.png>            Also write the anomaly heat map (blue normal, red anomalous).
      --verbose                       Include the raw score and threshold.
      --sensitivity <s>               Decide at this sensitivity instead of the recorded one.
  eval <model-dir> <dataset>          Image AUROC, precision/recall/F1 at the model's threshold,
                                      pixel AUROC (with masks) and detect latency.
      --sensitivity <s>               Judge at this sensitivity instead of the recorded one.
  sensitivity <model-dir> [<s>]       Move the decision after training: s in (0, 1), 0.5 as
                                      calibrated, higher flags more. Records s beside the model
                                      and prints the precision and recall it implies on the
                                      test split.
  --help                              Show this help.

Exit codes: 0 success, 1 bad usage, 2 a typed error (its code is printed), 3 unexpected error.`;

export const options = {
  out: { type: 'string' },
  test: { type: 'string' },
  resolution: { type: 'string' },
  roi: { type: 'string' },
  extractor: { type: 'string' },
  layers: { type: 'string' },
  seed: { type: 'string' },
  'coreset-ratio': { type: 'string' },
  orientation: { type: 'string' },
  scoring: { type: 'string' },
  bucket: { type: 'string', multiple: true },
  mask: { type: 'string' },
  heatmap: { type: 'string' },
  verbose: { type: 'boolean' },
  sensitivity: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}\n`);
    return 1;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || !command) {
    process.stdout.write(`${HELP}\n`);
    return command || parsed.values.help ? 0 : 1;
  }
  try {
    const config = loadConfig();
    setIntraOpThreads(config.ENGINE_THREADS);
    if (command === 'train') await runTrain(rest, parsed.values, config);
    else if (command === 'detect') await runDetect(rest, parsed.values, config);
    else if (command === 'eval') await runEval(rest, parsed.values, config);
    else if (command === 'sensitivity') await runSensitivity(rest);
    else throw new UsageError(`Unknown command "${command}".`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${HELP}\n`);
      return 1;
    }
    if (isAppError(err)) {
      process.stderr.write(`error ${err.code}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return 3;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
