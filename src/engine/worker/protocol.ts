import { AppError, ERROR_CODES, type ErrorCode } from '../../errors';
import type { MessagePort } from 'node:worker_threads';
import type { Dataset } from '../dataset/types';
import type { ImageLimits } from '../image/image-header';
import type { TrainOptions } from '../train';

/**
 * Messages between the main thread and the engine worker. Errors cross as plain data: a thrown
 * AppError would arrive as a bare Error without its code.
 */

export interface WorkerConfig {
  threads: number;
  /** Loaded models' memory (their memory banks) a worker keeps before unloading the least used. */
  modelMemoryBytes?: number;
}

export type EngineTask =
  | { op: 'detect'; modelDir: string; bytes: Uint8Array; limits: ImageLimits; sensitivity?: number; autoOrient?: boolean }
  | { op: 'train'; data: { train: Dataset; test?: Dataset | null }; outDir: string; options: Omit<TrainOptions, 'onProgress'>; progress?: MessagePort }
  | { op: 'load'; modelDir: string; limits: ImageLimits }
  | { op: 'unload'; modelDir: string };

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: { code: ErrorCode | null; message: string; details?: Record<string, unknown> } };

export function toOutcomeError(err: unknown): Outcome<never> {
  if (err instanceof AppError) return { ok: false, error: { code: err.code, message: err.message, details: { ...err.details } } };
  return { ok: false, error: { code: null, message: err instanceof Error ? (err.stack ?? err.message) : String(err) } };
}

export function fromOutcome<T>(o: Outcome<T>): T {
  if (o.ok) return o.value;
  const { code, message, details } = o.error;
  if (code && code in ERROR_CODES) throw new AppError(code, message, details);
  throw new Error(`engine worker failed: ${message}`);
}
