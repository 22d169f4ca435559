import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { AppError } from '../../errors';
import { convertKerasToOnnx } from '../backbone/keras-to-onnx';
import { loadMobileNetV2, MOBILENET_V2_HASH, MOBILENET_V2_SOURCE } from '../backbone/mobilenet-v2';
import type { RgbImage } from '../image/decode';
import { GraphBuilder } from '../onnx/graph-builder';
import { sessionOptions } from '../onnx/session';
import { appendFeatureHead } from './feature-head';
import { buildHandcraftedBackbone, HANDCRAFTED_LAYERS } from './handcrafted';

/**
 * Which network turns pixels into patch features. Stored in every model, so a model is only ever
 * scored with the features it was trained on.
 */
export type ExtractorSpec =
  | { kind: 'mobilenet-v2'; layers: string[] }
  | { kind: 'handcrafted' }
  /** A user's own backbone, e.g. a torchvision WideResNet50 exported to ONNX with its layer outputs named. */
  | { kind: 'onnx'; path: string; layers: string[]; mean?: number[]; std?: number[] };

/**
 * Defaults that depend on the input resolution, measured with bench:engine (4-fold CV, pooled
 * AUROC). At ordinary resolutions `block_5` + `block_12` score best (the deeper layer sees whole
 * parts: cookies 0.965 -> 0.986 against `block_2+5+9`) and a 5 % coreset loses nothing against
 * 10 % (cookies 0.986 both, aliens 0.979 against 0.977) while detection is 20 % faster. On large
 * crops scored at high resolution, where defects are a few pixels wide, the shallower
 * `block_2` + `block_5` + `block_9` win (circuit boards 0.960 against 0.917, as the engine notes
 * found too) and need the denser 10 % bank (0.953 at 5 %).
 */
export const HIGH_RESOLUTION_SIDE = 512;

export interface ResolutionProfile {
  extractor: ExtractorSpec;
  coresetRatio: number;
}

export function defaultProfile(input: { width: number; height: number }): ResolutionProfile {
  return Math.max(input.width, input.height) >= HIGH_RESOLUTION_SIDE
    ? { extractor: { kind: 'mobilenet-v2', layers: ['block_2_add', 'block_5_add', 'block_9_add'] }, coresetRatio: 0.1 }
    : { extractor: { kind: 'mobilenet-v2', layers: ['block_5_add', 'block_12_add'] }, coresetRatio: 0.05 };
}

/** Patch features on a grid: `data` is [channels, height, width]. */
export interface FeatureMap {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

export interface FeatureExtractor {
  readonly spec: ExtractorSpec;
  /** Identity of the weights, checked when a model is loaded. */
  readonly hash: string;
  extract(image: RgbImage): Promise<FeatureMap>;
}

/** MobileNetV2 from nsfwjs and the handcrafted filters take RGB / 255 with no further normalisation. */
const UNIT_SCALE = { mean: [0, 0, 0], std: [1, 1, 1] };

class OnnxFeatureExtractor implements FeatureExtractor {
  constructor(
    readonly spec: ExtractorSpec,
    readonly hash: string,
    private readonly session: ort.InferenceSession,
    private readonly inputName: string,
    private readonly norm: { mean: number[]; std: number[] },
  ) {}

  async extract(image: RgbImage): Promise<FeatureMap> {
    const plane = image.width * image.height;
    const x = new Float32Array(3 * plane);
    const { mean, std } = this.norm;
    const d = image.data;
    for (let p = 0, i = 0; p < plane; p++, i += 3) {
      x[p] = (d[i] / 255 - mean[0]) / std[0];
      x[plane + p] = (d[i + 1] / 255 - mean[1]) / std[1];
      x[2 * plane + p] = (d[i + 2] / 255 - mean[2]) / std[2];
    }
    const out = await this.session.run({ [this.inputName]: new ort.Tensor('float32', x, [1, 3, image.height, image.width]) });
    const t = out.features;
    const [, channels, height, width] = t.dims as number[];
    return { data: t.data as Float32Array, channels, height, width };
  }
}

/** Output stride of each MobileNetV2 block, to put the features on the stride-8 grid. */
function mobileNetStride(layer: string): number {
  const block = /^block_(\d+)_/.exec(layer);
  const n = block ? Number(block[1]) : 0;
  return n <= 2 ? 4 : n <= 5 ? 8 : n <= 12 ? 16 : 32;
}

/**
 * The grid the patch features live on: stride 8, where PatchCore's layer-2 features live, fine
 * enough for defects a few pixels wide and coarse enough for a fast search. Layers above it are
 * resized up to it, layers below averaged down.
 */
export function mobileNetGridIndex(layers: string[]): number {
  const strides = layers.map(mobileNetStride);
  const exact = strides.indexOf(8);
  if (exact >= 0) return exact;
  return strides.indexOf(Math.min(...strides));
}

/** For other backbones the second layer named (the first, if only one) sets the grid. */
function gridIndexOf(layers: string[]): number {
  return layers.length > 1 ? 1 : 0;
}

async function build(spec: ExtractorSpec): Promise<FeatureExtractor> {
  if (spec.kind === 'mobilenet-v2') {
    const g = new GraphBuilder('mobilenet_v2_features');
    const input = g.input('image', [1, 3, 'height', 'width']);
    const named = convertKerasToOnnx(loadMobileNetV2(), g, { input, outputs: spec.layers });
    appendFeatureHead(
      g,
      spec.layers.map((l) => named.get(l)!),
      mobileNetGridIndex(spec.layers),
    );
    const session = await ort.InferenceSession.create(g.toBytes(), sessionOptions());
    return new OnnxFeatureExtractor(spec, `${MOBILENET_V2_SOURCE.package}:${MOBILENET_V2_HASH}`, session, input, UNIT_SCALE);
  }
  if (spec.kind === 'handcrafted') {
    const g = new GraphBuilder('handcrafted_features');
    const input = g.input('image', [1, 3, 'height', 'width']);
    appendFeatureHead(g, buildHandcraftedBackbone(g, input), 0);
    const session = await ort.InferenceSession.create(g.toBytes(), sessionOptions());
    return new OnnxFeatureExtractor(spec, `handcrafted:v1:${HANDCRAFTED_LAYERS.join('+')}`, session, input, UNIT_SCALE);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(spec.path);
  } catch (err) {
    throw new AppError('MODEL_INCOMPATIBLE', `backbone file ${spec.path} cannot be read`, {}, { cause: err });
  }
  const g = GraphBuilder.fromBytes(bytes, 'custom_features');
  const produced = g.producedNames();
  const missing = spec.layers.filter((l) => !produced.has(l));
  if (missing.length) throw new AppError('MODEL_INCOMPATIBLE', `backbone ${spec.path} has no tensors named ${missing.join(', ')}`);
  const inputs = g.inputNames();
  if (inputs.length !== 1) throw new AppError('MODEL_INCOMPATIBLE', `backbone ${spec.path} must take exactly one image input`);
  appendFeatureHead(g, spec.layers, gridIndexOf(spec.layers));
  const session = await ort.InferenceSession.create(g.toBytes(), sessionOptions());
  const hash = `onnx:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
  return new OnnxFeatureExtractor(spec, hash, session, inputs[0], { mean: spec.mean ?? [0.485, 0.456, 0.406], std: spec.std ?? [0.229, 0.224, 0.225] });
}

const extractors = new Map<string, Promise<FeatureExtractor>>();

/** One session per distinct extractor per process: models that share a backbone share its session. */
export function getExtractor(spec: ExtractorSpec): Promise<FeatureExtractor> {
  const key = JSON.stringify(spec);
  let p = extractors.get(key);
  if (!p) {
    p = build(spec);
    extractors.set(key, p);
    p.catch(() => extractors.delete(key));
  }
  return p;
}
