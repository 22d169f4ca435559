import { z } from 'zod';

/**
 * What the registry keeps on disk, beside the engine's model directories:
 *
 *   projects/<name>/project.json              the project (creation time, tags)
 *   projects/<name>/datasets/<train|test>.json a dataset: its manifest lines and status
 *   projects/<name>/models/<version>.json     a model's lifecycle (status, description, output)
 *   projects/<name>/models/<version>/         the trained model, as the engine wrote it
 *
 * Times are epoch milliseconds. A model directory with no record (the demo model, or one the
 * CLI trained) counts as a hosted model, which is how the gateway served such models before.
 */

export const MODEL_STATUSES = [
  'TRAINING',
  'TRAINED',
  'TRAINING_FAILED',
  'STARTING_HOSTING',
  'HOSTED',
  'HOSTING_FAILED',
  'STOPPING_HOSTING',
  'DELETING',
] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];

export const DATASET_TYPES = ['train', 'test'] as const;
export type DatasetType = (typeof DATASET_TYPES)[number];

const tags = z.record(z.string(), z.string());
const s3Object = z.object({ bucket: z.string(), key: z.string() });
export type S3Object = z.infer<typeof s3Object>;

export const projectRecord = z.object({
  name: z.string(),
  createdAt: z.number(),
  tags: tags.default({}),
  /** Versions are never reused, even after a model is deleted: a version names one training. */
  lastVersion: z.number().int().default(0),
});
export type ProjectRecord = z.infer<typeof projectRecord>;

export const datasetEntry = z.object({
  /** The JSON line as the client gave it (ListDatasetEntries returns it unchanged). */
  line: z.string(),
  /** Where relative references in the line resolve from: the folder of the manifest it came in. */
  base: z.string().nullable(),
  createdAt: z.number(),
});
export type DatasetEntryRecord = z.infer<typeof datasetEntry>;

export const datasetRecord = z.object({
  type: z.enum(DATASET_TYPES),
  createdAt: z.number(),
  updatedAt: z.number(),
  status: z.string(),
  statusMessage: z.string(),
  entries: z.array(datasetEntry),
});
export type DatasetRecord = z.infer<typeof datasetRecord>;

export const modelRecord = z.object({
  version: z.string(),
  createdAt: z.number(),
  status: z.enum(MODEL_STATUSES),
  statusMessage: z.string().nullable(),
  description: z.string().nullable(),
  outputConfig: z.object({ bucket: z.string(), prefix: z.string().nullable() }),
  kmsKeyId: z.string().nullable(),
  tags,
  minInferenceUnits: z.number().int().nullable(),
  maxInferenceUnits: z.number().int().nullable(),
  evaluation: z.object({ result: s3Object, manifest: s3Object.nullable(), endedAt: z.number() }).nullable(),
  /**
   * The datasets as they were when training was asked for, so a training interrupted by a
   * restart runs again on the same images, and later dataset edits do not change this model.
   */
  job: z.object({ train: z.array(datasetEntry), test: z.array(datasetEntry).nullable() }).nullable(),
});
export type ModelRecord = z.infer<typeof modelRecord>;
