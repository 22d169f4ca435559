import { createHash } from 'node:crypto';
import { onnx } from 'onnx-proto';
import { AppError } from '../../errors';
import type { ImportedHeader } from '../model/model-header';

/**
 * What an anomalib ONNX export is, read from the file itself (and its `metadata.json`), before
 * anything is stored:
 * - v2 (anomalib 1.x/2.x `export(export_type="onnx")`): one `input` image, normalised inside the
 *   graph, and `pred_score`, `pred_label`, `anomaly_map`, `pred_mask` out, scores already
 *   min-max normalised so 0.5 is the threshold;
 * - v1 (anomalib 0.x): one input normalised outside (the metadata's albumentations `transform`,
 *   ImageNet statistics by default) and a raw anomaly map (and perhaps a score) out;
 *   `metadata.json` carries `image_threshold`, `pixel_threshold` and the `min`/`max` anomalib's
 *   min-max normalisation maps the raw values with.
 * Anything else is refused with MODEL_IMPORT_INVALID naming what does not match.
 */

export type ImportSpec = ImportedHeader['imported'];

export interface InspectedExport {
  spec: ImportSpec;
  input: { width: number; height: number };
}

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const FLOAT = onnx.TensorProto.DataType.FLOAT;

const refuse = (message: string) => new AppError('MODEL_IMPORT_INVALID', message);

interface Tensor {
  name: string;
  elemType: number;
  dims: (number | string)[];
}

function tensors(values: onnx.IValueInfoProto[] | null | undefined, skip = new Set<string>()): Tensor[] {
  return (values ?? [])
    .filter((v) => !skip.has(v.name ?? ''))
    .map((v) => ({
      name: v.name ?? '',
      elemType: v.type?.tensorType?.elemType ?? 0,
      dims: (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue != null ? Number(d.dimValue) : (d.dimParam ?? '?'))),
    }));
}

export function inspectAnomalibExport(bytes: Uint8Array, metadata: unknown | null): InspectedExport {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    throw refuse('The file is not an ONNX model.');
  }
  const graph = model.graph;
  if (!graph?.node?.length) throw refuse('The file is not an ONNX model: it has no graph.');
  const weights = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = tensors(graph.input, weights);
  const outputs = tensors(graph.output);
  if (inputs.length !== 1)
    throw refuse(`An anomalib export has one image input; this model has ${inputs.length} (${inputs.map((i) => i.name).join(', ') || 'none'}).`);
  const [input] = inputs;
  if (input.elemType !== FLOAT || input.dims.length !== 4 || input.dims[1] !== 3) {
    throw refuse(`The input "${input.name}" must be a float tensor [batch, 3, height, width]; it is [${input.dims.join(', ')}].`);
  }
  const names = new Set(outputs.map((o) => o.name));
  const v2 = names.has('pred_score') && names.has('anomaly_map');
  const meta = v2 ? null : readMetadata(metadata);
  const size = inputSize(input, meta?.resize ?? null);
  const spec: Omit<ImportSpec, 'file' | 'sha256'> = v2
    ? {
        kind: 'anomalib',
        exportVersion: 'v2',
        inputName: input.name,
        outputs: { map: 'anomaly_map', score: 'pred_score', mask: names.has('pred_mask') ? 'pred_mask' : null },
        normalize: null,
        raw: null,
      }
    : {
        kind: 'anomalib',
        exportVersion: 'v1',
        inputName: input.name,
        outputs: v1Outputs(outputs),
        normalize: meta!.normalize,
        raw: meta!.raw,
      };
  return { spec: { ...spec, file: 'model.onnx', sha256: createHash('sha256').update(bytes).digest('hex') }, input: size };
}

function v1Outputs(outputs: Tensor[]): ImportSpec['outputs'] {
  const map = outputs.find((o) => o.dims.length >= 3);
  if (!map) {
    throw refuse(
      `The model's outputs (${outputs.map((o) => `${o.name} [${o.dims.join(', ')}]`).join(', ')}) are neither anomalib v2's (pred_score, pred_label, anomaly_map, pred_mask) nor a v1 anomaly map [batch, 1, height, width].`,
    );
  }
  const score = outputs.find((o) => o !== map && o.dims.length <= 2);
  return { map: map.name, score: score?.name ?? null, mask: null };
}

function inputSize(input: Tensor, resize: { width: number; height: number } | null): { width: number; height: number } {
  const [, , h, w] = input.dims;
  if (typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0) return { width: w, height: h };
  if (resize) return resize;
  throw refuse(`The input "${input.name}" has no fixed height and width; export with a fixed input size.`);
}

interface V1Metadata {
  raw: NonNullable<ImportSpec['raw']>;
  normalize: { mean: number[]; std: number[] };
  resize: { width: number; height: number } | null;
}

/** anomalib 0.x wrote the figures flat (`min`, `max`) or per target (`pred_scores.min`, `anomaly_maps.max`). */
function readMetadata(metadata: unknown): V1Metadata {
  if (metadata == null) throw refuse('This is an anomalib v1 export (no pred_score and anomaly_map outputs): give its metadata.json.');
  if (typeof metadata !== 'object' || Array.isArray(metadata)) throw refuse('The metadata file is not a JSON object.');
  const m = metadata as Record<string, unknown>;
  const num = (...keys: string[]) => keys.map((k) => m[k]).find((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const fields = {
    image_threshold: num('image_threshold'),
    pixel_threshold: num('pixel_threshold'),
    'min (or pred_scores.min)': num('pred_scores.min', 'min'),
    'max (or pred_scores.max)': num('pred_scores.max', 'max'),
  };
  const missing = Object.entries(fields)
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  if (missing.length) throw refuse(`The metadata file lacks ${missing.join(', ')}: anomalib's thresholds and min-max normalisation need them.`);
  const image = { min: fields['min (or pred_scores.min)']!, max: fields['max (or pred_scores.max)']! };
  const pixel = { min: num('anomaly_maps.min', 'min') ?? image.min, max: num('anomaly_maps.max', 'max') ?? image.max };
  for (const [what, r] of [
    ['image', image],
    ['pixel', pixel],
  ] as const)
    if (!(r.max > r.min)) throw refuse(`The metadata's ${what} max (${r.max}) must be above its min (${r.min}).`);
  const transforms = flatten(m.transform);
  const norm = transforms.find((t) => /Normalize$/.test(String(t.__class_fullname__ ?? '')));
  const resize = transforms.find((t) => /(Resize|CenterCrop)$/.test(String(t.__class_fullname__ ?? '')));
  return {
    raw: { imageThreshold: fields.image_threshold!, pixelThreshold: fields.pixel_threshold!, image, pixel },
    normalize: norm && triple(norm.mean) && triple(norm.std) ? { mean: norm.mean as number[], std: norm.std as number[] } : IMAGENET,
    resize:
      resize && Number.isInteger(resize.width) && Number.isInteger(resize.height) ? { width: resize.width as number, height: resize.height as number } : null,
  };
}

const triple = (v: unknown) => Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number');

/** Every transform of an albumentations `serialize()` tree, depth first. */
function flatten(node: unknown): Record<string, unknown>[] {
  if (!node || typeof node !== 'object') return [];
  const n = node as Record<string, unknown>;
  return [n, ...flatten(n.transform), ...(Array.isArray(n.transforms) ? n.transforms.flatMap(flatten) : [])];
}
