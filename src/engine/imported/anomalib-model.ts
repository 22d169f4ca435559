import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AppError } from '../../errors';
import { defaultQueue, type WorkQueue } from '../../lib/work-queue';
import { modelCalibration, verdict, type Calibration } from '../calibration';
import type { DetectionResult, DetectOptions, LoadOptions } from '../detector';
import { decodeForModel } from '../image/decode';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from '../image/image-header';
import type { ImportedHeader } from '../model/model-header';
import { readSensitivity } from '../model/operating-point';
import { sessionOptions } from '../onnx/session';
import type { Map2D } from '../scoring/anomaly-map';
import { segment } from '../segmentation';

/**
 * An anomalib ONNX export served like a model trained here: the image is decoded and squashed
 * to the export's input size (sharp's cubic resize, where anomalib used OpenCV's or torchvision's
 * bilinear one), scaled to 0-1 and, for v1, normalised with the export's transform; the graph's
 * outputs become anomalib's normalised score and map (v1 applies the metadata's min-max
 * normalisation here, as anomalib's inferencers did), judged at 0.5 and drawn as one anomaly
 * type over the pixels at or above 0.5.
 */
export class AnomalibModel {
  private constructor(
    readonly header: ImportedHeader,
    private readonly session: ort.InferenceSession,
    private readonly limits: ImageLimits,
    private readonly queue: WorkQueue,
    readonly sensitivity: number,
    readonly memoryBytes: number,
  ) {}

  static async load(dir: string, header: ImportedHeader, options: LoadOptions = {}): Promise<AnomalibModel> {
    const file = join(dir, header.imported.file);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(file, sessionOptions());
    } catch (err) {
      throw new AppError(
        'MODEL_CORRUPT',
        `The imported model's ${header.imported.file} cannot be loaded: ${(err as Error).message.split('\n')[0]}`,
        {},
        { cause: err },
      );
    }
    const bytes = (await stat(file)).size;
    return new AnomalibModel(header, session, options.limits ?? DEFAULT_IMAGE_LIMITS, options.queue ?? defaultQueue, await readSensitivity(dir), bytes * 2);
  }

  get isSegmentation(): boolean {
    return this.header.segmentation !== null;
  }

  calibration(sensitivity = this.sensitivity): Calibration {
    return modelCalibration(this.header, sensitivity);
  }

  async detect(bytes: Uint8Array, signal?: AbortSignal, options: DetectOptions = {}): Promise<DetectionResult> {
    const calibration = this.calibration(options.sensitivity);
    return this.queue.run(async () => {
      const image = await decodeForModel(bytes, this.header.input, null, this.limits, options.autoOrient);
      const { score, map, mask } = await scoreImage(this.session, this.header.imported, toTensor(image, this.header.imported.normalize));
      const { isAnomalous, confidence } = verdict(score, calibration);
      const result: DetectionResult = {
        isAnomalous,
        confidence,
        score,
        threshold: calibration.threshold,
        mapThreshold: 0.5,
        image: { width: image.header.width, height: image.header.height, format: image.header.format },
        anomalyMap: { ...map, roi: image.roi },
      };
      const seg = this.header.segmentation;
      if (seg) {
        // One type: every hot pixel is "anomaly"; a single prototype makes segment() pick it everywhere.
        const grid = mask ?? map;
        const cells = { data: new Float32Array(grid.width * grid.height), channels: 1, width: grid.width, height: grid.height };
        const s = await segment(grid, cells, image.header, image.roi, {
          classes: seg.classes,
          prototypes: new Float32Array(1),
          pixelThreshold: isAnomalous ? seg.pixelThreshold : Infinity,
        });
        result.anomalies = s.anomalies;
        result.mask = s.mask;
      }
      return result;
    }, signal);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** HWC uint8 -> NCHW float in 0-1, then (x - mean) / std where the export wants it done outside. */
export function toTensor(image: { width: number; height: number; data: Buffer }, normalize: ImportedHeader['imported']['normalize']): ort.Tensor {
  const n = image.width * image.height;
  const out = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) {
    const mean = normalize?.mean[c] ?? 0;
    const std = normalize?.std[c] ?? 1;
    for (let i = 0; i < n; i++) out[c * n + i] = (image.data[i * 3 + c] / 255 - mean) / std;
  }
  return new ort.Tensor('float32', out, [1, 3, image.height, image.width]);
}

/** anomalib's min-max normalisation: the threshold lands on 0.5, the range spans 1, clipped to 0-1. */
const minMax = (v: number, threshold: number, r: { min: number; max: number }) => Math.min(1, Math.max(0, (v - threshold) / (r.max - r.min) + 0.5));

/** Runs the graph and reads anomalib's answer, normalised: image score, anomaly map, and the export's mask if it has one. */
export async function scoreImage(
  session: ort.InferenceSession,
  spec: ImportedHeader['imported'],
  input: ort.Tensor,
): Promise<{ score: number; map: Map2D; mask: Map2D | null }> {
  const out = await session.run({ [spec.inputName]: input });
  const mapOut = out[spec.outputs.map];
  if (!mapOut || mapOut.dims.length < 2) throw new AppError('MODEL_CORRUPT', `The imported model gave no anomaly map (${spec.outputs.map}).`);
  const height = mapOut.dims[mapOut.dims.length - 2];
  const width = mapOut.dims[mapOut.dims.length - 1];
  const rawMap = Float32Array.from((mapOut.data as Float32Array).subarray(0, width * height));
  const rawScore =
    spec.outputs.score && out[spec.outputs.score]
      ? Number((out[spec.outputs.score].data as Float32Array)[0])
      : rawMap.reduce((a, b) => Math.max(a, b), -Infinity);
  const raw = spec.raw;
  const map = raw ? rawMap.map((v) => minMax(v, raw.pixelThreshold, raw.pixel)) : rawMap;
  const score = raw ? minMax(rawScore, raw.imageThreshold, raw.image) : rawScore;
  const maskOut = spec.outputs.mask ? out[spec.outputs.mask] : undefined;
  const mask = maskOut
    ? { width, height, data: Float32Array.from(maskOut.data as ArrayLike<number | boolean>, (v) => (v ? 1 : 0)).subarray(0, width * height) }
    : null;
  return { score, map: { width, height, data: map }, mask };
}
