import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { AppError } from '../../errors';
import type { Dataset } from '../dataset/types';
import type { DetectionResult, DetectOptions } from '../detector';
import type { ImageLimits } from '../image/image-header';
import { DEFAULT_IMAGE_LIMITS } from '../image/image-header';
import type { TrainedModel, TrainOptions } from '../train';
import { WorkQueue } from '../../lib/work-queue';
import { fromOutcome, type EngineTask, type Outcome, type WorkerConfig } from './protocol';

export interface EnginePoolOptions {
  /** ONNX Runtime threads per inference. */
  threads?: number;
  /** Loaded models' memory the detection worker keeps before unloading the least recently used. */
  modelMemoryBytes?: number;
  /** Images that may wait before QUEUE_FULL. */
  queueLimit?: number;
  limits?: ImageLimits;
}

/**
 * The engine as a server uses it: every detection runs in one worker thread, so the event loop
 * stays free for other requests. One worker is deliberate: ONNX Runtime already spreads an
 * inference over the cores, and one worker holds one copy of each loaded model. In
 * front of it a bounded queue orders the work, answers QUEUE_FULL when the line is long, and
 * lets a cancelled request leave the line before it runs.
 */
export class EnginePool {
  private readonly pool: Piscina;
  private readonly queue: WorkQueue;
  private readonly limits: ImageLimits;
  private readonly workerData: WorkerConfig;
  /**
   * Trainings run in a worker of their own, one at a time, started when needed and gone when
   * idle: a training takes seconds to minutes, and behind it in the detection worker every
   * detection of every model would wait that long.
   */
  private trainer: Piscina | null = null;
  private readonly trainingQueue = new WorkQueue(1, Number.MAX_SAFE_INTEGER);

  constructor(options: EnginePoolOptions = {}) {
    this.workerData = { threads: options.threads ?? 2, modelMemoryBytes: options.modelMemoryBytes };
    this.pool = new Piscina({ filename: workerFile(), minThreads: 1, maxThreads: 1, idleTimeout: Infinity, workerData: this.workerData });
    this.queue = new WorkQueue(1, options.queueLimit ?? 64);
    this.limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
  }

  /** Jobs waiting for the worker (for readiness checks). */
  get queueDepth(): number {
    return this.queue.depth;
  }

  /** Trainings running or waiting (for readiness checks). */
  get trainings(): number {
    return this.trainingQueue.active + this.trainingQueue.depth;
  }

  private call<T>(task: EngineTask, transferList?: unknown[], pool = this.pool): Promise<T> {
    return pool.run(task, { transferList: transferList as never }).then((o: Outcome<T>) => fromOutcome(o));
  }

  async detect(modelDir: string, bytes: Uint8Array, signal?: AbortSignal, options: DetectOptions = {}): Promise<DetectionResult> {
    const r = await this.queue.run(
      () =>
        this.call<DetectionResult>({ op: 'detect', modelDir, bytes, limits: this.limits, sensitivity: options.sensitivity, autoOrient: options.autoOrient }),
      signal,
    );
    // Structured cloning turns Buffers into plain Uint8Arrays.
    if (r.mask) r.mask.png = Buffer.from(r.mask.png.buffer, r.mask.png.byteOffset, r.mask.png.byteLength);
    return r;
  }

  /** Trainings wait for each other (never refused for a long line), not for detections. */
  async train(data: { train: Dataset; test?: Dataset | null }, outDir: string, options: TrainOptions = {}): Promise<TrainedModel> {
    const { onProgress, ...rest } = options;
    const channel = onProgress ? new MessageChannel() : null;
    if (channel) {
      channel.port1.on('message', onProgress!);
      channel.port1.unref();
    }
    try {
      return await this.trainingQueue.run(() => {
        this.trainer ??= new Piscina({ filename: workerFile(), minThreads: 0, maxThreads: 1, idleTimeout: 30_000, workerData: this.workerData });
        return this.call<TrainedModel>(
          { op: 'train', data, outDir, options: { limits: this.limits, ...rest }, progress: channel?.port2 },
          channel ? [channel.port2 as never] : undefined,
          this.trainer,
        );
      });
    } finally {
      channel?.port1.close();
    }
  }

  /** Loads a model and keeps it, so the first detection does not pay for it (StartModel). */
  async load(modelDir: string): Promise<void> {
    await this.call({ op: 'load', modelDir, limits: this.limits });
  }

  /** Drops a cached model so the next detection loads it afresh (after retraining or deletion). */
  async unload(modelDir: string): Promise<void> {
    await this.call({ op: 'unload', modelDir });
  }

  /**
   * Stops the worker at once. Callers drain their requests first (the HTTP server does); what
   * is left is background work, and a training cut short is resumed by whoever owns it, so
   * shutdown does not wait minutes for it.
   */
  async close(): Promise<void> {
    const closing = new AppError('ABORTED', 'The engine is shutting down.');
    this.queue.close(closing);
    this.trainingQueue.close(closing);
    // A worker terminated while it is still loading onnxruntime (a gateway stopped right after it
    // started) or inside a native call aborted the whole process ("terminate called after
    // throwing an instance of 'Napi::Error'"). A no-op task returns once the worker is past both;
    // the wait is bounded so shutdown stays bounded.
    await Promise.race([this.call({ op: 'unload', modelDir: '' }).catch(() => undefined), sleep(5_000, undefined, { ref: false })]);
    await Promise.all([this.pool.destroy(), this.trainer?.destroy()]);
  }
}

function workerFile(): string {
  const compiled = join(__dirname, 'engine-worker.js');
  if (existsSync(compiled)) return compiled;
  // Tests run the TypeScript sources in process; a worker thread needs JavaScript on disk, so
  // it runs the build of the same sources (`npm test` builds first).
  return resolve(__dirname, '..', '..', '..', 'dist', 'engine', 'worker', 'engine-worker.js');
}
