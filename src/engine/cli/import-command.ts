import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../../config';
import { AppError } from '../../errors';
import { importAnomalibModel } from '../imported/import-model';
import { UsageError } from './args';

/** As the gateway names projects (projects/project-store.ts); the engine may not import it. */
const PROJECT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;

/**
 * `import <model.onnx> [--metadata metadata.json] (--project P | --out <model-dir>)`: an anomalib
 * export becomes a model directory. With --project it lands as the project's next version under
 * DATA_DIR, where a gateway on that folder picks it up (as it does models the CLI trains).
 */
export async function runImport(positionals: string[], v: Record<string, unknown>, config: Config): Promise<void> {
  const [file] = positionals;
  const project = v.project as string | undefined;
  const out = v.out as string | undefined;
  if (!file || positionals.length > 1) throw new UsageError('import needs one <model.onnx>.');
  if (!project === !out) throw new UsageError('import needs --project <name> or --out <model-dir>, one of them.');
  if (project && !PROJECT_NAME.test(project)) throw new UsageError(`--project "${project}" is not a project name (letters, digits, "-" and "_").`);
  const onnx = await readInput(file, 'model');
  const metadata = v.metadata ? parseJson(await readInput(v.metadata as string, 'metadata'), v.metadata as string) : null;
  const dir = out
    ? resolve(out)
    : join(resolve(config.DATA_DIR), 'projects', project!, 'models', await nextVersion(join(resolve(config.DATA_DIR), 'projects', project!, 'models')));
  const header = await importAnomalibModel(onnx, metadata, dir);
  process.stdout.write(
    JSON.stringify(
      {
        model: dir,
        ...(project ? { project, version: dir.split(/[\\/]/).pop() } : {}),
        type: header.segmentation ? 'segmentation' : 'classification',
        export: header.imported.exportVersion,
        input: header.input,
        outputs: header.imported.outputs,
      },
      null,
      2,
    ) + '\n',
  );
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new AppError('BAD_USER_INPUT', `The ${what} file ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
  }
}

function parseJson(bytes: Buffer, path: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new AppError('MODEL_IMPORT_INVALID', `The metadata file ${path} is not valid JSON.`);
  }
}

async function nextVersion(dir: string): Promise<string> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return String(Math.max(0, ...names.filter((n) => /^\d+$/.test(n)).map(Number)) + 1);
}
