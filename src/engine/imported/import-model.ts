import * as ort from 'onnxruntime-node';
import { AppError } from '../../errors';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, type ImportedHeader } from '../model/model-header';
import { MODEL_HEADER_FILE, writeModelDir } from '../model/model-store';
import { sessionOptions } from '../onnx/session';
import { inspectAnomalibExport } from './anomalib-export';
import { scoreImage, toTensor } from './anomalib-model';

/** Largest export taken: a PatchCore export with its memory bank inside runs to hundreds of MB. */
export const MAX_IMPORT_BYTES = 1024 * 1024 * 1024;

/** Shown for the one anomaly type an anomalib model reports. */
export const ANOMALY_TYPE = { name: 'anomaly', color: '#D62728' };

export interface PreparedImport {
  header: ImportedHeader;
  /** The model directory's files, by name. */
  files: Record<string, Uint8Array | string>;
}

/** Checks an export and writes it as a model directory (prepareImport, then writeImport). */
export async function importAnomalibModel(onnxBytes: Uint8Array, metadata: unknown | null, outDir: string): Promise<ImportedHeader> {
  const prepared = await prepareImport(onnxBytes, metadata);
  await writeImport(prepared, outDir);
  return prepared.header;
}

export function writeImport(prepared: PreparedImport, outDir: string): Promise<void> {
  return writeModelDir(outDir, prepared.files);
}

/**
 * An anomalib export as a model directory's files (`model.json`, `model.onnx`, and the
 * `metadata.json` given): checked by its shape, then run once on a grey image, all before
 * anything is written, so a file that does not fit leaves nothing behind.
 */
export async function prepareImport(onnxBytes: Uint8Array, metadata: unknown | null): Promise<PreparedImport> {
  if (onnxBytes.byteLength > MAX_IMPORT_BYTES) throw new AppError('MODEL_IMPORT_INVALID', `The model file is larger than ${MAX_IMPORT_BYTES} bytes.`);
  const { spec, input } = inspectAnomalibExport(onnxBytes, metadata);
  await trialRun(onnxBytes, spec, input);
  const classification = (metadata as { task?: unknown } | null)?.task === 'classification';
  const header: ImportedHeader = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    input,
    roi: null,
    augmentation: { rotations: [] },
    // anomalib's normalised scores put its threshold at 0.5; confidence is 0.95 at a score of 1
    // (or 0), and a sensitivity moves the threshold by up to a quarter either way.
    threshold: 0.5,
    confidence: { temperature: 0.5 / Math.log(19), spread: 0.25 },
    metrics: {
      precision: null,
      recall: null,
      f1: null,
      imageAuroc: null,
      pixelAuroc: null,
      testImages: { normal: 0, anomaly: 0 },
      testSource: 'none',
    },
    training: { normalImages: 0, anomalyImages: 0, seconds: 0, seed: 0 },
    imported: spec,
    segmentation: classification ? null : { classes: [ANOMALY_TYPE], pixelThreshold: 0.5 },
  };
  return {
    header,
    files: {
      [spec.file]: onnxBytes,
      ...(metadata != null ? { 'metadata.json': JSON.stringify(metadata, null, 2) + '\n' } : {}),
      [MODEL_HEADER_FILE]: JSON.stringify(header, null, 2) + '\n',
    },
  };
}

async function trialRun(bytes: Uint8Array, spec: ImportedHeader['imported'], input: { width: number; height: number }): Promise<void> {
  let session: ort.InferenceSession | null = null;
  try {
    session = await ort.InferenceSession.create(bytes, sessionOptions());
    const grey = { ...input, data: Buffer.alloc(input.width * input.height * 3, 128) };
    const { score } = await scoreImage(session, spec, toTensor(grey, spec.normalize));
    if (!Number.isFinite(score)) throw new Error('its score is not a number');
  } catch (err) {
    if (err instanceof AppError && err.code === 'MODEL_IMPORT_INVALID') throw err;
    throw new AppError('MODEL_IMPORT_INVALID', `The model does not run: ${(err as Error).message.split('\n')[0]}`, {}, { cause: err });
  } finally {
    await session?.release();
  }
}
