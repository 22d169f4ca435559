import { z } from 'zod';

/**
 * The JSON header of a model directory. Everything needed to score an image the way training
 * did is here (extractor identity, input size, region of interest, blur, threshold, confidence
 * mapping); the memory bank and class prototypes sit beside it as raw float32 files whose
 * hashes the header records, so a damaged or mismatched file is caught at load time.
 */

export const MODEL_FORMAT = 'lookout-gateway.anomaly-model';
/**
 * 2 added the image-score method and the training augmentations. Version 1 models (no method:
 * the max of the blurred map) still load and score exactly as before.
 */
export const MODEL_FORMAT_VERSION = 2;
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];

const box = z.object({ left: z.number().min(0).max(1), top: z.number().min(0).max(1), width: z.number().gt(0).max(1), height: z.number().gt(0).max(1) });

const extractorSpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mobilenet-v2'), layers: z.array(z.string()).min(1) }),
  z.object({ kind: z.literal('handcrafted') }),
  z.object({
    kind: z.literal('onnx'),
    path: z.string(),
    layers: z.array(z.string()).min(1),
    mean: z.array(z.number()).length(3).optional(),
    std: z.array(z.number()).length(3).optional(),
  }),
]);

const metrics = z.object({
  precision: z.number().nullable(),
  recall: z.number().nullable(),
  f1: z.number().nullable(),
  imageAuroc: z.number().nullable(),
  pixelAuroc: z.number().nullable(),
  testImages: z.object({ normal: z.number().int(), anomaly: z.number().int() }),
  /** How the test images were chosen: a separate dataset, or a seeded split of the training data. */
  testSource: z.enum(['test-dataset', 'auto-split', 'none']),
  /** The test images' scores, so a sensitivity chosen later can say what it implies. Absent in format 1. */
  testScores: z.object({ normal: z.array(z.number()), anomaly: z.array(z.number()) }).optional(),
});

const classes = z.array(z.object({ name: z.string(), color: z.string().regex(/^#[0-9A-F]{6}$/) })).min(1);

/** What every model says, whoever made it: its input, decision rule, figures and provenance. */
const commonHeader = z.object({
  format: z.literal(MODEL_FORMAT),
  formatVersion: z.number().int(),
  createdAt: z.string(),
  input: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }),
  roi: box.nullable(),
  /** What the memory bank learned besides the normals as photographed. Absent in format 1: nothing. */
  augmentation: z
    .object({
      rotations: z.array(z.number()),
      /** What the user asked for ('auto', 'any', 'fixed'), and with 'auto' what the normals said. */
      orientation: z.enum(['auto', 'any', 'fixed']).optional(),
      orientationRatio: z.number().nullable().optional(),
    })
    .default({ rotations: [] }),
  /**
   * Image score at or above which an image is anomalous. A local-contrast score can sit near
   * zero for a featureless part, so only finiteness is required.
   */
  threshold: z.number().finite(),
  /**
   * P(anomalous) = sigmoid((score - threshold) / temperature). `spread` (threshold minus the
   * median held-out normal) is the scale a sensitivity moves the threshold along; absent in format 1.
   */
  confidence: z.object({ temperature: z.number().positive(), spread: z.number().positive().optional() }),
  metrics,
  training: z.object({
    normalImages: z.number().int(),
    anomalyImages: z.number().int(),
    seconds: z.number(),
    seed: z.number().int(),
  }),
});

/** A model this engine trained: PatchCore on a backbone's features (see the README). */
export const trainedHeaderSchema = commonHeader.extend({
  extractor: z.object({ spec: extractorSpec, hash: z.string(), dims: z.number().int().positive() }),
  scoring: z.object({
    /** Gaussian blur of the patch-distance map, in grid cells, before the max is taken. */
    blurSigma: z.number().min(0),
    bankRows: z.number().int().positive(),
    bankSha256: z.string(),
    /**
     * The level on the map (blurred distances) that reads as anomalous: where heat maps turn from
     * green to red. Absent in format 1, where the image score was the map's max and `threshold`
     * served.
     */
    mapThreshold: z.number().finite().optional(),
    /** Absent in format 1: the max of the blurred map. */
    method: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('max') }),
        z.object({ kind: z.literal('local-contrast'), baselineSigma: z.number().positive(), topFraction: z.number().gt(0).max(1) }),
      ])
      .default({ kind: 'max' }),
  }),
  segmentation: z.object({ classes, pixelThreshold: z.number().finite(), prototypesSha256: z.string() }).nullable(),
});

/**
 * A model brought in from anomalib's ONNX export (imported/anomalib-export.ts). Its scores are
 * anomalib's normalised ones (0 to 1, anomalous from 0.5), so `threshold` is 0.5 and the export's
 * own thresholds and min-max figures (v1) sit in `imported`.
 */
export const importedHeaderSchema = commonHeader.extend({
  imported: z.object({
    kind: z.literal('anomalib'),
    exportVersion: z.enum(['v1', 'v2']),
    file: z.string(),
    sha256: z.string(),
    inputName: z.string(),
    /** Output names: the anomaly map always; the image score and mask where the export has them. */
    outputs: z.object({ map: z.string(), score: z.string().nullable(), mask: z.string().nullable() }),
    /** Applied to 0-1 RGB before the graph (v1: the export's transform); null: the graph normalises. */
    normalize: z.object({ mean: z.array(z.number()).length(3), std: z.array(z.number()).length(3) }).nullable(),
    /** v1 only: raw thresholds and the min-max normalisation anomalib applied after the graph. */
    raw: z
      .object({
        imageThreshold: z.number().finite(),
        pixelThreshold: z.number().finite(),
        image: z.object({ min: z.number().finite(), max: z.number().finite() }),
        pixel: z.object({ min: z.number().finite(), max: z.number().finite() }),
      })
      .nullable(),
  }),
  segmentation: z.object({ classes, pixelThreshold: z.number().finite() }).nullable(),
});

export const modelHeaderSchema = z.union([importedHeaderSchema, trainedHeaderSchema]);

export type TrainedHeader = z.infer<typeof trainedHeaderSchema>;
export type ImportedHeader = z.infer<typeof importedHeaderSchema>;
export type ModelHeader = z.infer<typeof modelHeaderSchema>;
export type ModelMetrics = z.infer<typeof metrics>;
