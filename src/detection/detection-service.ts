import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { modelNotFound } from '../projects/resources';
import type { DetectorBackend, ModelInfo } from './backends/backend';
import type { ResultCache } from './cache/result-cache';
import { detectionId } from './detection-id';
import { turnsImage, type ImageInput } from './image-input';
import { SingleFlight } from '../lib/single-flight';
import type { HeatGrid } from '../engine/heatmap';
import { makePreview } from './preview';
import type { Metrics } from '../lib/metrics';

/** What the cache keeps for a detection (the mask PNG is stored beside it). */
export interface StoredDetection {
  id: string;
  imageSha256: string;
  backend: string;
  projectName: string;
  version: string;
  isAnomalous: boolean;
  confidence: number;
  anomalies: { name: string; color: string; totalPercentageArea: number }[] | null;
  mask: { width: number; height: number } | null;
  /** The anomaly map, for heat maps (absent in results cached before it was kept, and for backends without one). */
  heat?: HeatGrid | null;
  /** Size of the preview kept for overlays (absent when none could be made). */
  preview?: { width: number; height: number } | null;
  createdAt: string;
}

export interface DetectionOutcome {
  detection: StoredDetection;
  cached: boolean;
}

export interface DetectionServiceOptions {
  ttlSeconds: number;
  lockMs: number;
  log: Logger;
  /** How often a replica waiting on another's lock looks for the result. */
  pollMs?: number;
  metrics?: Metrics;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new AppError('ABORTED'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AppError('ABORTED'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function notRunning(model: ModelInfo): AppError {
  const id = `${model.projectName}/${model.version}`;
  return new AppError('MODEL_NOT_RUNNING', `The model ${id} is ${model.status}; start it first.`, {
    resourceType: 'MODEL',
    resourceId: id,
    status: model.status,
  });
}

const detKey = (id: string) => `det:${id}`;
const maskKey = (id: string) => `mask:${id}`;
const previewKey = (id: string) => `preview:${id}`;
/** A recent-list member: the time, zero-padded so members sort as times do, then the id. */
const recentMember = (d: StoredDetection) => `${String(Date.parse(d.createdAt)).padStart(15, '0')}:${d.id}`;

/**
 * One detection's path: resolve the model to a concrete version, look in the cache, make at
 * most one backend call per image and model (in this process by sharing the promise, across
 * replicas by a short Redis lock whose losers wait for the winner's result), store the result
 * and its mask with a TTL.
 */
export class DetectionService {
  private readonly flights = new SingleFlight<DetectionOutcome>();
  /** Backend calls made by this process (reported in /readyz and used by tests). */
  backendCalls = 0;

  constructor(
    readonly backend: DetectorBackend,
    readonly cache: ResultCache,
    private readonly options: DetectionServiceOptions,
  ) {}

  async resolveModel(projectName: string, version: string): Promise<ModelInfo> {
    const model = await this.backend.describeModel(projectName, version);
    if (!model) throw modelNotFound(projectName, version);
    return model;
  }

  async detect(image: ImageInput, projectName: string, modelVersion: string, signal?: AbortSignal): Promise<DetectionOutcome> {
    const model = await this.resolveModel(projectName, modelVersion);
    // Before the cache: a stopped model must not keep answering from its old results.
    if (model.status !== 'HOSTED') throw notRunning(model);
    const id = detectionId(image.sha256, this.backend.id, model.projectName, model.version, model.createdAt, model.sensitivity, turnsImage(image));
    const started = performance.now();
    const hit = await this.get(id);
    const metrics = this.options.metrics;
    if (hit) {
      metrics?.cacheLookups.inc({ result: 'hit' });
      metrics?.detectionSeconds.observe({ source: 'cache' }, (performance.now() - started) / 1000);
      return { detection: hit, cached: true };
    }
    metrics?.cacheLookups.inc({ result: 'miss' });
    // The shared computation is not tied to any one caller's signal: one client going away must
    // not fail the forty-nine others waiting on the same image. Each caller stops waiting alone.
    const { promise } = this.flights.do(id, () => this.computeOnce(id, image, model));
    if (metrics)
      promise.then(
        (outcome) => metrics.detectionSeconds.observe({ source: outcome.cached ? 'cache' : 'engine' }, (performance.now() - started) / 1000),
        () => undefined,
      );
    return signal ? abortable(promise, signal) : promise;
  }

  async get(id: string): Promise<StoredDetection | null> {
    const raw = await this.cache.get(detKey(id));
    if (!raw) return null;
    try {
      return JSON.parse(raw.toString('utf8')) as StoredDetection;
    } catch {
      return null; // a damaged entry is a miss
    }
  }

  mask(id: string): Promise<Buffer | null> {
    return this.cache.get(maskKey(id));
  }

  /**
   * A project's detections still cached, newest first: `count` of them made before the cursor
   * `before` (a member, as the last call's `next`). Results evicted since are left out.
   */
  async recent(
    projectName: string,
    before: string | null,
    count: number,
  ): Promise<{ items: { member: string; detection: StoredDetection }[]; total: number; more: boolean; last: string | null }> {
    const { members, total } = await this.cache.recent(projectName, before, count + 1);
    const page = members.slice(0, count);
    const found = await Promise.all(page.map(async (member) => ({ member, detection: await this.get(member.slice(member.indexOf(':') + 1)) })));
    return {
      items: found.filter((f): f is { member: string; detection: StoredDetection } => f.detection !== null),
      total,
      more: members.length > count,
      // The page's last member, found or evicted: the next page starts after it either way.
      last: page.at(-1) ?? null,
    };
  }

  /** The JPEG overlays are drawn on (null once evicted, or for results kept before previews were). */
  preview(id: string): Promise<Buffer | null> {
    return this.cache.get(previewKey(id));
  }

  private async computeOnce(id: string, image: ImageInput, model: ModelInfo): Promise<DetectionOutcome> {
    const { lockMs, pollMs = 50 } = this.options;
    const deadline = Date.now() + lockMs;
    while (Date.now() < deadline) {
      if (await this.cache.lock(id, lockMs)) {
        try {
          // Another replica may have finished between our miss and our lock.
          const done = await this.get(id);
          if (done) return { detection: done, cached: true };
          return { detection: await this.run(id, image, model), cached: false };
        } finally {
          await this.cache.unlock(id);
        }
      }
      await sleep(pollMs);
      const done = await this.get(id);
      if (done) return { detection: done, cached: true };
    }
    // The lock holder neither finished nor let go in time: answer rather than wait forever.
    this.options.log.warn({ id }, 'single-flight lock timed out; detecting without it');
    return { detection: await this.run(id, image, model), cached: false };
  }

  private async run(id: string, image: ImageInput, model: ModelInfo): Promise<StoredDetection> {
    this.backendCalls++;
    // Finished even when every caller has gone: the result is cached for their retries. The
    // overlay's picture is made alongside (libuv's threads, not the engine's); a picture that
    // cannot be made costs the overlay, never the detection.
    const previewing = makePreview(image.bytes, turnsImage(image)).catch((err: unknown) => {
      this.options.log.debug({ err, id }, 'no preview for overlays');
      return null;
    });
    const [r, preview] = await Promise.all([this.backend.detect(image, model), previewing]);
    const detection: StoredDetection = {
      id,
      imageSha256: image.sha256,
      backend: this.backend.id,
      projectName: model.projectName,
      version: model.version,
      isAnomalous: r.isAnomalous,
      confidence: r.confidence,
      anomalies: r.anomalies ?? null,
      mask: r.mask ? { width: r.mask.width, height: r.mask.height } : null,
      heat: r.heat ?? null,
      preview: preview ? { width: preview.width, height: preview.height } : null,
      createdAt: new Date().toISOString(),
    };
    // Pictures go first, so a cached result whose picture is missing means eviction, not a race.
    if (r.mask) await this.cache.set(maskKey(id), r.mask.png, this.options.ttlSeconds);
    if (preview) await this.cache.set(previewKey(id), preview.jpeg, this.options.ttlSeconds);
    await this.cache.set(detKey(id), Buffer.from(JSON.stringify(detection)), this.options.ttlSeconds);
    await this.cache.addRecent(model.projectName, recentMember(detection), this.options.ttlSeconds);
    return detection;
  }
}
