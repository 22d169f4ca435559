import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { exportModel } from '../export/onnx-export';
import { UsageError } from './args';

/** `export <model-dir> --out model.onnx`: the model as one ONNX graph (export/onnx-export.ts). */
export async function runExport(positionals: string[], v: Record<string, unknown>): Promise<void> {
  const [modelDir] = positionals;
  const out = v.out as string | undefined;
  if (!modelDir || !out || positionals.length > 1) throw new UsageError('export needs one <model-dir> and --out <file.onnx>.');
  const { bytes, metadata } = await exportModel(modelDir);
  await writeFile(out, bytes);
  process.stdout.write(JSON.stringify({ file: resolve(out), bytes: bytes.byteLength, metadata }, null, 2) + '\n');
}
