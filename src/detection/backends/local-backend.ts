import { join } from 'node:path';
import { AppError, isAppError } from '../../errors';
import type { EnginePool } from '../../engine/worker/engine-pool';
import type { ModelLifecycle } from '../../projects/model-lifecycle';
import { modelDir } from '../../projects/project-store';
import type { ProjectRegistry } from '../../projects/registry';
import { modelNotFound } from '../../projects/resources';
import { storageFailure } from '../../lib/storage-health';
import { writeFileAtomic } from '../../lib/synced-write';
import { notRunning } from '../detection-service';
import { heatGridOf } from '../../engine/heatmap';
import { turnsImage, type ImageInput } from '../image-input';
import type { BackendDetection, DetectorBackend, ModelInfo } from './backend';
import { modelInfo } from './model-info';

/**
 * How often a miss may look on disk again. Models the CLI trains into the data folder while the
 * gateway runs appear without a restart, and a client asking for unknown models in a loop costs
 * at most one directory read per project per interval.
 */
const RESCAN_INTERVAL_MS = 2_000;

/**
 * The embedded engine as a backend: models and their statuses come from the project registry
 * (the same state the Lookout for Vision endpoint manages), detection runs in the engine's
 * worker thread, and only a HOSTED model answers.
 */
export class LocalBackend implements DetectorBackend {
  readonly id = 'local';
  private readonly rescans = new Map<string, number>();

  constructor(
    readonly pool: EnginePool,
    private readonly registry: ProjectRegistry,
    private readonly models: ModelLifecycle,
  ) {}

  async listProjects(): Promise<string[]> {
    return this.registry.listProjects().map((s) => s.project.name);
  }

  async listModels(projectName: string): Promise<ModelInfo[]> {
    await this.rescanOnMiss(projectName, null);
    try {
      return await Promise.all(this.models.list(projectName).map((m) => modelInfo(this.models, projectName, m)));
    } catch (err) {
      throw asModelLookup(err);
    }
  }

  async describeModel(projectName: string, version: string): Promise<ModelInfo | null> {
    await this.rescanOnMiss(projectName, version);
    try {
      return await modelInfo(this.models, projectName, this.models.model(projectName, version));
    } catch (err) {
      if (isAppError(err) && (err.code === 'MODEL_NOT_FOUND' || err.code === 'PROJECT_NOT_FOUND')) return null;
      throw err;
    }
  }

  private async rescanOnMiss(projectName: string, version: string | null): Promise<void> {
    const state = this.registry.find(projectName);
    if (state && (version === null || version === 'latest' || state.models.has(version))) return;
    const now = Date.now();
    if ((this.rescans.get(projectName) ?? 0) > now) return;
    this.rescans.set(projectName, now + RESCAN_INTERVAL_MS);
    await this.registry.discover(projectName);
  }

  async detect(image: ImageInput, model: ModelInfo, signal?: AbortSignal): Promise<BackendDetection> {
    if (model.status !== 'HOSTED') throw notRunning(model);
    try {
      const r = await this.pool.detect(modelDir(this.registry.dataDir, model.projectName, model.version), image.bytes, signal, {
        sensitivity: model.sensitivity,
        autoOrient: turnsImage(image),
      });
      return { isAnomalous: r.isAnomalous, confidence: r.confidence, anomalies: r.anomalies, mask: r.mask, heat: heatGridOf(r) };
    } catch (err) {
      if (isAppError(err) && err.code === 'MODEL_NOT_FOUND') throw modelNotFound(model.projectName, model.version);
      throw err;
    }
  }

  /**
   * Ready while the engine runs and the data folder takes writes. Once a write failed for lack of
   * space, each probe tries a small write of its own, so the gateway turns ready again as soon as
   * space is freed rather than at the next client write.
   */
  async ready(): Promise<{ ok: boolean; detail?: string; queueDepth: number; trainings: number }> {
    const load = { queueDepth: this.pool.queueDepth, trainings: this.pool.trainings };
    if (!(await this.registry.reachable())) return { ok: false, detail: 'The database (DATABASE_URL) does not answer.', ...load };
    if (storageFailure()) {
      await writeFileAtomic(join(this.registry.dataDir, 'storage-probe'), 'ok\n').catch(() => undefined);
      const failing = storageFailure();
      if (failing) return { ok: false, detail: `Writes to DATA_DIR fail (${failing.code}) since ${new Date(failing.since).toISOString()}.`, ...load };
    }
    return { ok: true, ...load };
  }

  async close(): Promise<void> {
    this.models.closing();
    await this.pool.close();
    await this.models.settled();
  }
}

/** GraphQL's `models` query has always answered MODEL_NOT_FOUND for an unknown project. */
function asModelLookup(err: unknown): unknown {
  if (isAppError(err) && err.code === 'PROJECT_NOT_FOUND')
    return new AppError('MODEL_NOT_FOUND', err.message, { ...err.details, projectName: err.details.resourceId });
  return err;
}
