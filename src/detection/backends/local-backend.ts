import { AppError } from '../../errors';
import type { ImageLimits } from '../../engine/image/image-header';
import { EnginePool } from '../../engine/worker/engine-pool';
import type { ImageInput } from '../image-input';
import type { BackendDetection, DetectorBackend, ModelInfo } from './backend';
import { listProjects, listVersions, modelDir, notFound, readHeader, toModelInfo } from './local-registry';

/** The embedded engine as a backend: models on disk, detection in the engine's worker thread. */
export class LocalBackend implements DetectorBackend {
  readonly id = 'local';
  readonly pool: EnginePool;

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

  async describeModel(projectName: string, version: string): Promise<ModelInfo | null> {
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
