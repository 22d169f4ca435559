import { AppError } from '../../errors';
import type { ImageLimits } from '../../engine/image/image-header';
import { EnginePool } from '../../engine/worker/engine-pool';
import type { ImageInput } from '../image-input';
import type { BackendDetection, DetectorBackend, ModelInfo } from './backend';
import { listProjects, listVersions, modelDir, notFound, readHeader, toModelInfo } from './local-registry';

/**
 * How long a model lookup is reused. Every detection resolves its model (a directory listing, a
 * header read and a schema check): at hundreds of cached answers a second that disk work was
 * the largest cost in the request path. Models change rarely, and whoever changes them calls
 * `invalidate`.
 */
const MODEL_LOOKUP_TTL_MS = 2_000;

/** The embedded engine as a backend: models on disk, detection in the engine's worker thread. */
export class LocalBackend implements DetectorBackend {
  readonly id = 'local';
  readonly pool: EnginePool;
  private readonly lookups = new Map<string, { value: Promise<ModelInfo | null>; expires: number }>();

  constructor(
    private readonly dataDir: string,
    options: { threads: number; queueLimit: number; limits: ImageLimits },
  ) {
    this.pool = new EnginePool(options);
  }

  listProjects(): Promise<string[]> {
    return listProjects(this.dataDir);
  }

  async listModels(projectName: string): Promise<ModelInfo[]> {
    const versions = await listVersions(this.dataDir, projectName);
    if (!versions) throw notFound(projectName);
    return Promise.all(versions.map(async (v) => toModelInfo(projectName, v, await readHeader(this.dataDir, projectName, v))));
  }

  describeModel(projectName: string, version: string): Promise<ModelInfo | null> {
    const key = `${projectName}\u0000${version}`;
    const now = Date.now();
    const hit = this.lookups.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = this.lookup(projectName, version);
    this.lookups.set(key, { value, expires: now + MODEL_LOOKUP_TTL_MS });
    value.catch(() => this.lookups.delete(key));
    return value;
  }

  /** Forgets cached model lookups (after a model is trained, replaced or deleted). */
  invalidate(): void {
    this.lookups.clear();
  }

  private async lookup(projectName: string, version: string): Promise<ModelInfo | null> {
    const versions = await listVersions(this.dataDir, projectName);
    if (!versions) return null;
    const concrete = version === 'latest' ? versions[0] : versions.find((v) => v === version);
    if (!concrete) return null;
    return toModelInfo(projectName, concrete, await readHeader(this.dataDir, projectName, concrete));
  }

  async detect(image: ImageInput, model: ModelInfo, signal?: AbortSignal): Promise<BackendDetection> {
    if (model.status !== 'HOSTED') throw new AppError('MODEL_NOT_RUNNING', `Model ${model.projectName}/${model.version} is ${model.status}.`);
    try {
      const r = await this.pool.detect(modelDir(this.dataDir, model.projectName, model.version), image.bytes, signal);
      return { isAnomalous: r.isAnomalous, confidence: r.confidence, anomalies: r.anomalies, mask: r.mask };
    } catch (err) {
      if (err instanceof AppError && err.code === 'MODEL_NOT_FOUND') throw notFound(model.projectName, model.version);
      throw err;
    }
  }

  async ready(): Promise<{ ok: boolean; detail?: string; queueDepth: number }> {
    return { ok: true, queueDepth: this.pool.queueDepth };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
