import { loadDetector, type Detector } from '../load-detector';
import type { ImageLimits } from '../image/image-header';
import type { WorkQueue } from '../../lib/work-queue';

/**
 * The models a worker has loaded, by directory, within a memory budget: past it, the models used
 * least recently are closed (and load again on their next use), so a replica that serves many
 * hosted models keeps the ones in demand instead of running out of memory. A model in use by a
 * detection is never closed under it.
 */
export class LoadedModels {
  private readonly models = new Map<string, { model: Promise<Detector>; bytes: number; users: number }>();

  constructor(
    private readonly budgetBytes: number,
    private readonly queue: WorkQueue,
  ) {}

  /** Runs `use` with the model in `dir`, loading it first if needed. */
  async with<T>(dir: string, limits: ImageLimits, use: (m: Detector) => Promise<T>): Promise<T> {
    let entry = this.models.get(dir);
    if (!entry) {
      entry = { model: loadDetector(dir, { queue: this.queue, limits }), bytes: 0, users: 0 };
      const loading = entry;
      entry.model.then(
        (m) => (loading.bytes = m.memoryBytes),
        () => this.models.get(dir) === loading && this.models.delete(dir),
      );
    }
    // Most recent last: the Map keeps insertion order.
    this.models.delete(dir);
    this.models.set(dir, entry);
    entry.users++;
    try {
      const m = await entry.model;
      await this.evict();
      return await use(m);
    } finally {
      entry.users--;
    }
  }

  async unload(dir: string): Promise<void> {
    const entry = this.models.get(dir);
    this.models.delete(dir);
    if (entry) await (await entry.model.catch(() => null))?.close();
  }

  /** Loaded (or loading) model directories, least recently used first. */
  get dirs(): string[] {
    return [...this.models.keys()];
  }

  get bytes(): number {
    let total = 0;
    for (const e of this.models.values()) total += e.bytes;
    return total;
  }

  private async evict(): Promise<void> {
    for (const [dir, e] of this.models) {
      if (this.bytes <= this.budgetBytes) return;
      if (e.users > 0 || e.bytes === 0) continue;
      this.models.delete(dir);
      await (await e.model.catch(() => null))?.close();
    }
  }
}
