#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config';
import { isAppError } from '../../errors';
import { setIntraOpThreads } from '../onnx/session';
import { UsageError } from './args';
import { runDetect } from './detect-command';
import { runEval } from './eval-command';
import { runExport } from './export-command';
import { runImport } from './import-command';
import { runSensitivity } from './sensitivity-command';
import { runTrain } from './train-command';

/**
 * `lookout-engine`: train, detect and evaluate without the gateway. Results go to stdout as JSON
 * (detect prints Lookout for Vision's DetectAnomalyResult shape), progress and errors to stderr,
 * so the output can be piped.
 */

/** Each command: its synopsis, what it does, and the options it takes (with their help lines). */
const COMMANDS: Record<string, { synopsis: string; about: string; options: Record<string, string> }> = {
  train: {
    synopsis: 'train <dataset> --out <model-dir>',
    about:
      'Train a model. <dataset> is a Lookout for Vision manifest, a folder with normal/ and anomaly/ subfolders, or an MVTec AD / anomalib folder (train/good/, test/<defect>/, ground_truth/<defect>/), which brings its own test side.',
    options: {
      out: '--out <model-dir>               Where to write the model (required).',
      test: '--test <dataset>                Evaluate on this dataset instead of an automatic split.',
      'defects-in-training':
        '--defects-in-training <share>   MVTec folders: share of each defect folder that trains, so types are learnt (default 0.5; 0 trains on good images only).',
      resolution: '--resolution <px>               Long side of the model input (default: from image size).',
      roi: '--roi <auto|none|l,t,w,h>       Region of interest; fractions of the image (default auto).',
      extractor: '--extractor <name>              mobilenet-v2 (default), handcrafted, or onnx:<file>.',
      layers: '--layers <a,b,...>              Feature layers of the extractor.',
      'coreset-ratio': '--coreset-ratio <r>             Share of normal patches kept in the memory bank (default 0.05, or 0.1 at 512 px and more).',
      orientation: '--orientation <auto|any|fixed>  Whether parts lie in any orientation; auto asks the training normals (default auto).',
      scoring: "--scoring <local-contrast|max>  Image score: local contrast (default) or the map's max.",
      seed: '--seed <n>                      Seed for the split and the coreset (default 42).',
      bucket: '--bucket <name=folder>          Map s3://name/... references to a local folder (repeatable).',
    },
  },
  detect: {
    synopsis: 'detect <model-dir> <image>',
    about: 'Score one PNG or JPEG; prints a DetectAnomalyResult.',
    options: {
      mask: '--mask <file.png>               Also write the anomaly mask (segmentation models).',
      heatmap: '--heatmap <file.png>            Also write the anomaly heat map (blue normal, red anomalous).',
      verbose: '--verbose                       Include the raw score and threshold.',
      sensitivity: '--sensitivity <s>               Decide at this sensitivity instead of the recorded one.',
    },
  },
  eval: {
    synopsis: 'eval <model-dir> <dataset>',
    about: "Image AUROC, precision/recall/F1 at the model's threshold, pixel AUROC (with masks) and detect latency.",
    options: {
      sensitivity: '--sensitivity <s>               Judge at this sensitivity instead of the recorded one.',
      'defects-in-training': '--defects-in-training <share>   MVTec folders: the share given at training, so only the test side is judged (default 0.5).',
      bucket: '--bucket <name=folder>          Map s3://name/... references to a local folder (repeatable).',
    },
  },
  export: {
    synopsis: 'export <model-dir> --out <model.onnx>',
    about:
      'Write the model as one ONNX graph that onnxruntime runs without this project: uint8 RGB pixels [height, width, 3] in; crop, resize, scoring and calibration inside; anomaly_map, score, confidence and is_anomalous out (threshold and types in its metadata).',
    options: {
      out: '--out <model.onnx>              Where to write the graph (required).',
    },
  },
  import: {
    synopsis: 'import <model.onnx> (--project <name> | --out <model-dir>)',
    about:
      "Bring in an anomalib ONNX export: v2 (pred_score, pred_label, anomaly_map, pred_mask) as it is, v1 with its metadata.json. It is checked and run once before anything is written; with --project it becomes the project's next version under DATA_DIR.",
    options: {
      metadata: '--metadata <metadata.json>      anomalib v1: the thresholds and min-max figures exported beside the model.',
      project: "--project <name>                Add it as the project's next model version under DATA_DIR.",
      out: '--out <model-dir>               Or write the model directory here.',
    },
  },
  sensitivity: {
    synopsis: 'sensitivity <model-dir> [<s>]',
    about:
      'Move the decision after training: s in (0, 1), 0.5 as calibrated, higher flags more. Records s beside the model and prints the precision and recall it implies on the test split.',
    options: {},
  },
};

const EXIT_CODES = 'Exit codes: 0 success, 1 bad usage, 2 a typed error (its code is printed), 3 unexpected error.';

const HELP = `Usage: lookout-engine <command> [options]

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.synopsis}\n      ${c.about}`)
  .join('\n')}

  lookout-engine <command> --help     The command's options.
  lookout-engine --version            The engine's version.

${EXIT_CODES}`;

function commandHelp(name: string): string {
  const c = COMMANDS[name];
  const lines = Object.values(c.options).map((o) => `  ${o}`);
  return `Usage: lookout-engine ${c.synopsis} [options]\n\n${c.about}\n${lines.length ? `\nOptions:\n${lines.join('\n')}\n` : ''}  --help                          Show this help.\n\n${EXIT_CODES}`;
}

function version(): string {
  // package.json sits three folders up from both src/engine/cli and dist/engine/cli.
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

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
  'defects-in-training': { type: 'string' },
  bucket: { type: 'string', multiple: true },
  mask: { type: 'string' },
  heatmap: { type: 'string' },
  verbose: { type: 'boolean' },
  sensitivity: { type: 'string' },
  metadata: { type: 'string' },
  project: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
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
  if (parsed.values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (command && !(command in COMMANDS)) {
    process.stderr.write(`Unknown command "${command}".\n\n${HELP}\n`);
    return 1;
  }
  if (parsed.values.help || !command) {
    process.stdout.write(`${command ? commandHelp(command) : HELP}\n`);
    return command || parsed.values.help ? 0 : 1;
  }
  // parseArgs knows every command's options at once; a flag another command takes is still wrong here.
  const foreign = Object.keys(parsed.values).filter((name) => name !== 'help' && !(name in COMMANDS[command].options));
  if (foreign.length) {
    process.stderr.write(`${command} does not take ${foreign.map((f) => `--${f}`).join(', ')}.\n\n${commandHelp(command)}\n`);
    return 1;
  }
  try {
    const config = loadConfig();
    setIntraOpThreads(config.ENGINE_THREADS);
    if (command === 'train') await runTrain(rest, parsed.values, config);
    else if (command === 'detect') await runDetect(rest, parsed.values, config);
    else if (command === 'eval') await runEval(rest, parsed.values, config);
    else if (command === 'sensitivity') await runSensitivity(rest);
    else if (command === 'import') await runImport(rest, parsed.values, config);
    else if (command === 'export') await runExport(rest, parsed.values);
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
