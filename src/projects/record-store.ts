import type { DatasetRecord, DatasetType, ModelRecord, ProjectRecord } from './records';

/**
 * Where the registry's records persist: files under DATA_DIR (one gateway owns them) or
 * PostgreSQL (replicas share them). Both keep a revision per record and refuse a write whose
 * expected revision is not the stored one, so a replica acting on a stale view of a project
 * (another replica started, stopped or deleted a model meanwhile) fails instead of overwriting
 * it; the registry then reloads the project and runs the operation again.
 */

/** A record's revision as last read; null: the record must not exist yet. */
export type Revision = number | null;

export interface StoredProject {
  project: ProjectRecord;
  datasets: { record: DatasetRecord; revision: number }[];
  models: { record: ModelRecord; revision: number }[];
  revision: number;
}

export interface RecordStore {
  readonly kind: 'files' | 'postgres';
  loadAll(): Promise<StoredProject[]>;
  /** One project's records, or null when it has none (it may still exist as model folders). */
  loadProject(name: string): Promise<StoredProject | null>;
  saveProject(record: ProjectRecord, expected: Revision): Promise<number>;
  saveDataset(project: string, record: DatasetRecord, expected: Revision): Promise<number>;
  deleteDataset(project: string, type: DatasetType, expected: Revision): Promise<void>;
  saveModel(project: string, record: ModelRecord, expected: Revision): Promise<number>;
  deleteModel(project: string, version: string, expected: Revision): Promise<void>;
  /** The project and everything recorded under it. */
  deleteProject(name: string, expected: Revision): Promise<void>;
  /** Calls back with a project's name when another writer changed it (never for this one's writes), or null when anything may have changed. */
  watch(onChange: (project: string | null) => void): void;
  /** Whether the store answers (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** A write refused because the record changed since it was read. */
export class StaleRecordError extends Error {
  constructor(
    readonly project: string,
    what: string,
  ) {
    super(`${what} of project ${project} changed since it was read`);
    this.name = 'StaleRecordError';
  }
}

export const isStale = (err: unknown): err is StaleRecordError => err instanceof StaleRecordError;

/** Revision keys within a project. */
export const revisionKey = {
  project: 'project',
  dataset: (type: DatasetType) => `dataset:${type}`,
  model: (version: string) => `model:${version}`,
} as const;
