import { AppError } from '../errors';
import { modelCalibration, verdict, type Calibration } from './calibration';
import { getExtractor } from './features/extractor';
import type { Box } from './image/decode';
import { DEFAULT_IMAGE_LIMITS, type ImageFormat, type ImageLimits } from './image/image-header';
import type { ModelHeader, TrainedHeader } from './model/model-header';
import { loadModel } from './model/model-store';
import { readSensitivity } from './model/operating-point';
import { imageFeatures, scorePatches, type ScoringSetup } from './pipeline';
import type { Map2D } from './scoring/anomaly-map';
import { NearestNeighbourIndex } from './scoring/knn';
import { segment, type SegmentedAnomaly } from './segmentation';
import { defaultQueue, type WorkQueue } from '../lib/work-queue';

export interface DetectionResult {
  isAnomalous: boolean;
  /** Confidence in the verdict, 0-1, as Lookout for Vision reported it. */
  confidence: number;
  /** The raw anomaly score (as the model's scoring method defines it) and the threshold it was judged by. */
  score: number;
  threshold: number;
  /** The map level that reads as anomalous, for heat maps (the map and the score differ in scale). */
  mapThreshold: number;
  image: { width: number; height: number; format: ImageFormat };
  /** Blurred patch distances on the feature grid, covering `roi` of the image. */
  anomalyMap: Map2D & { roi: Box };
  /** Segmentation models only: `background` first, then each type found. */
  anomalies?: SegmentedAnomaly[];
  /** Segmentation models only: a PNG the size of the input, white background, types in colour. */
  mask?: { png: Buffer; width: number; height: number };
}

export interface DetectOptions {
  /** 0-1; 0.5 decides at the calibrated threshold (calibration.ts: atSensitivity). By default the model's recorded one. */
  sensitivity?: number;
  /** Apply the image's EXIF orientation before scoring (the GraphQL path); the mask then overlays the image as a browser shows it. */
  autoOrient?: boolean;
}

export interface LoadOptions {
  limits?: ImageLimits;
  queue?: WorkQueue;
}

/** A trained model, loaded and ready to score images. */
export class AnomalyModel {
  private constructor(
    readonly header: TrainedHeader,
    private readonly setup: ScoringSetup,
    private readonly index: NearestNeighbourIndex,
    private readonly prototypes: Float32Array | null,
    private readonly queue: WorkQueue,
    /** The model's recorded sensitivity (operating-point.json), used when a call names none. */
    readonly sensitivity: number,
  ) {}

  /** What the model holds in memory, roughly: its memory bank and segmentation prototypes (the backbone is shared). */
  get memoryBytes(): number {
    return this.header.scoring.bankRows * this.header.extractor.dims * 4 + (this.prototypes?.byteLength ?? 0);
  }

  static async load(dir: string, options: LoadOptions = {}, known?: ModelHeader): Promise<AnomalyModel> {
    const { header, bank, prototypes } = await loadModel(dir, known);
    const extractor = await getExtractor(header.extractor.spec);
    if (extractor.hash !== header.extractor.hash) {
      throw new AppError(
        'MODEL_INCOMPATIBLE',
        `The model was trained with backbone ${header.extractor.hash}; this installation has ${extractor.hash}. Retrain it.`,
      );
    }
    const index = await NearestNeighbourIndex.create(bank, header.extractor.dims);
    const setup: ScoringSetup = {
      extractor,
      input: header.input,
      roi: header.roi,
      blurSigma: header.scoring.blurSigma,
      method: header.scoring.method,
      limits: options.limits ?? DEFAULT_IMAGE_LIMITS,
    };
    return new AnomalyModel(header, setup, index, prototypes, options.queue ?? defaultQueue, await readSensitivity(dir));
  }

  get isSegmentation(): boolean {
    return this.header.segmentation !== null;
  }

  /** The decision rule at a sensitivity (0.5: as calibrated at training). */
  calibration(sensitivity = this.sensitivity): Calibration {
    return modelCalibration(this.header, sensitivity);
  }

  async detect(bytes: Uint8Array, signal?: AbortSignal, options: DetectOptions = {}): Promise<DetectionResult> {
    const calibration = this.calibration(options.sensitivity);
    return this.queue.run(async () => {
      const f = await imageFeatures(this.setup, bytes, options.autoOrient);
      const scored = await scorePatches(this.index, f.features, this.setup);
      const { isAnomalous, confidence } = verdict(scored.score, calibration);
      const result: DetectionResult = {
        isAnomalous,
        confidence,
        score: scored.score,
        threshold: calibration.threshold,
        mapThreshold: this.header.scoring.mapThreshold ?? this.header.threshold,
        image: { width: f.header.width, height: f.header.height, format: f.header.format },
        anomalyMap: { ...scored.grid, roi: f.roi },
      };
      const seg = this.header.segmentation;
      if (seg && this.prototypes) {
        // A mask follows the verdict: an image judged normal shows no anomalous pixels (a tray
        // rim may still be warm on the map), and drawing nothing for it is also the fast path.
        const pixelThreshold = isAnomalous ? seg.pixelThreshold : Infinity;
        const s = await segment(scored.grid, f.features, f.header, f.roi, { classes: seg.classes, prototypes: this.prototypes, pixelThreshold });
        result.anomalies = s.anomalies;
        result.mask = s.mask;
      }
      return result;
    }, signal);
  }

  async close(): Promise<void> {
    await this.index.release();
  }
}

/** What a `DetectAnomalyResult` is made of, whoever judged the image (the engine, or a cached detection). */
export interface LookoutResultParts {
  isAnomalous: boolean;
  confidence: number;
  anomalies?: { name: string; totalPercentageArea: number; color: string }[] | null;
  maskPng?: Buffer | null;
}

/** The JSON Lookout for Vision's DetectAnomalies returned (`DetectAnomalyResult`): the one encoder, for the CLI and the protocol. */
export function lookoutResult(p: LookoutResultParts): Record<string, unknown> {
  const out: Record<string, unknown> = { Source: { Type: 'direct' }, IsAnomalous: p.isAnomalous, Confidence: p.confidence };
  if (p.anomalies) out.Anomalies = p.anomalies.map((a) => ({ Name: a.name, PixelAnomaly: { TotalPercentageArea: a.totalPercentageArea, Color: a.color } }));
  if (p.anomalies && p.maskPng) out.AnomalyMask = p.maskPng.toString('base64');
  return out;
}

export function toLookoutResult(r: DetectionResult): Record<string, unknown> {
  return lookoutResult({ ...r, maskPng: r.mask?.png });
}
