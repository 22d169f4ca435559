import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AppError } from '../../errors';
import { writeSynced } from '../../lib/synced-write';
import {
  importedHeaderSchema,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  READABLE_FORMAT_VERSIONS,
  trainedHeaderSchema,
  type ModelHeader,
  type TrainedHeader,
} from './model-header';

/**
 * A model on disk is a directory: `model.json` (the header) plus `bank.f32` and, for
 * segmentation models, `prototypes.f32` (little-endian float32 rows).
 *
 * Writes are atomic: everything goes to a hidden sibling directory, is fsynced, and replaces the
 * target with a rename, so a crash mid-write leaves the previous model intact and a reader never
 * sees half a model.
 */

export interface ModelFiles {
  header: TrainedHeader;
  bank: Float32Array;
  prototypes: Float32Array | null;
}

/** Every model directory's header, trained or imported; written last, so a folder with it is whole. */
export const MODEL_HEADER_FILE = 'model.json';
const HEADER = MODEL_HEADER_FILE;
const BANK = 'bank.f32';
const PROTOTYPES = 'prototypes.f32';

export function sha256(data: Float32Array): string {
  return createHash('sha256')
    .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    .digest('hex');
}

const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export async function saveModel(dir: string, files: ModelFiles): Promise<void> {
  await writeModelDir(dir, {
    [BANK]: bytesOf(files.bank),
    ...(files.prototypes ? { [PROTOTYPES]: bytesOf(files.prototypes) } : {}),
    [HEADER]: JSON.stringify(files.header, null, 2) + '\n',
  });
}

/** Writes a model directory atomically, header last (any model: trained here or imported). */
export async function writeModelDir(dir: string, files: Record<string, Uint8Array | string>): Promise<void> {
  const target = resolve(dir);
  await mkdir(dirname(target), { recursive: true });
  const staging = join(dirname(target), `.${basename(target)}.tmp-${randomBytes(4).toString('hex')}`);
  await mkdir(staging);
  try {
    for (const [name, bytes] of Object.entries(files)) await writeSynced(join(staging, name), bytes);
    const old = join(dirname(target), `.${basename(target)}.old-${randomBytes(4).toString('hex')}`);
    let replaced = false;
    try {
      await rename(target, old);
      replaced = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      await rename(staging, target);
    } catch (err) {
      if (replaced) await rename(old, target); // put the previous model back
      throw err;
    }
    if (replaced) await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

async function readFloats(path: string, expectedSha: string, what: string): Promise<Float32Array> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new AppError('MODEL_CORRUPT', `The model's ${what} file (${basename(path)}) is missing.`, {}, { cause: err });
  }
  if (buf.byteLength % 4 !== 0) throw new AppError('MODEL_CORRUPT', `The model's ${what} file (${basename(path)}) is truncated.`);
  // Copy into an aligned buffer: Node may hand back a slice of its pool at any offset.
  const floats = new Float32Array(buf.byteLength / 4);
  new Uint8Array(floats.buffer).set(buf);
  if (sha256(floats) !== expectedSha) throw new AppError('MODEL_CORRUPT', `The model's ${what} file (${basename(path)}) does not match its recorded hash.`);
  return floats;
}

/** The header of the model in `dir`, checked: trained here or imported (model-header.ts). */
export async function readModelHeader(dir: string): Promise<ModelHeader> {
  const headerPath = join(dir, HEADER);
  let raw: string;
  try {
    raw = await readFile(headerPath, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AppError(
      'MODEL_NOT_FOUND',
      missing ? `No model is stored there (${HEADER} is missing).` : `The model cannot be read (${HEADER}).`,
      {},
      { cause: err },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new AppError('MODEL_CORRUPT', `The model header (${HEADER}) is not valid JSON.`, {}, { cause: err });
  }
  const format = (json as { format?: unknown; formatVersion?: unknown }) ?? {};
  if (format.format !== MODEL_FORMAT) throw new AppError('MODEL_INCOMPATIBLE', `The model header (${HEADER}) is not a lookout-gateway model's.`);
  if (typeof format.formatVersion !== 'number' || !READABLE_FORMAT_VERSIONS.includes(format.formatVersion)) {
    const newer = typeof format.formatVersion === 'number' && format.formatVersion > MODEL_FORMAT_VERSION;
    throw new AppError(
      'MODEL_INCOMPATIBLE',
      newer
        ? `The model has format version ${format.formatVersion}, made by a newer engine; this engine reads versions ${READABLE_FORMAT_VERSIONS.join(' and ')}. Upgrade the gateway or retrain the model.`
        : `The model has format version ${String(format.formatVersion)}; this engine reads versions ${READABLE_FORMAT_VERSIONS.join(' and ')}. Retrain it.`,
    );
  }
  // Picked by shape rather than tried in turn, so a damaged header's errors name its own fields.
  const parsed = (json !== null && typeof json === 'object' && 'imported' in json ? importedHeaderSchema : trainedHeaderSchema).safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new AppError('MODEL_CORRUPT', `The model header (${HEADER}) is invalid: ${problems}`);
  }
  return parsed.data;
}

/**
 * A model this engine trained, with its memory bank and prototypes, checked against their hashes.
 * A caller that has read the header already (to tell the kind of model) passes it in.
 */
export async function loadModel(dir: string, known?: ModelHeader): Promise<ModelFiles> {
  const header = known ?? (await readModelHeader(dir));
  if ('imported' in header) throw new AppError('MODEL_INCOMPATIBLE', 'The model was imported; it has no memory bank.');
  const bank = await readFloats(join(dir, BANK), header.scoring.bankSha256, 'memory bank');
  if (bank.length !== header.scoring.bankRows * header.extractor.dims) throw new AppError('MODEL_CORRUPT', 'The memory bank has the wrong size.');
  const prototypes = header.segmentation ? await readFloats(join(dir, PROTOTYPES), header.segmentation.prototypesSha256, 'class prototype') : null;
  return { header, bank, prototypes };
}
