import type { Logger } from 'pino';
import type { TrainingLeases, TrainingProgress } from './training-leases';

/**
 * Runs trainings under their leases: claims one before the engine starts on it, renews the lease
 * while it runs, gives it up at the end; and, where replicas share a database, looks now and
 * then for trainings nobody holds (their replica died) to take them over.
 */
export class TrainingRuns {
  private readonly running = new Set<string>();
  private scan: NodeJS.Timeout | null = null;

  constructor(
    private readonly leases: TrainingLeases,
    /** How long a lease lasts; it is renewed three times in that span. */
    private readonly leaseMs: number,
    private readonly log: Logger,
  ) {}

  /**
   * Runs `train` if this replica holds (or gets) the training's lease. `lost()` turns true when
   * the lease could not be renewed and another replica may have taken the training over: its
   * result must then not be written. `report` tells the lease how far the engine has got.
   */
  async run(
    project: string,
    version: string,
    train: (lost: () => boolean, report: (p: Omit<TrainingProgress, 'startedAt'>) => void) => Promise<void>,
  ): Promise<void> {
    const key = `${project}/${version}`;
    if (this.running.has(key)) return;
    this.running.add(key);
    let lost = false;
    let renewal: NodeJS.Timeout | null = null;
    try {
      if (!(await this.leases.claim(project, version))) return;
      if (this.leases.shared) {
        renewal = setInterval(
          () => {
            this.leases.renew(project, version).then(
              (held) => {
                if (!held && !lost) this.log.warn({ project, version }, 'lost the lease on a training; its result will be dropped');
                lost ||= !held;
              },
              // A database blip: the lease has two more renewals before it lapses.
              () => {},
            );
          },
          Math.max(100, Math.floor(this.leaseMs / 3)),
        );
        renewal.unref();
      }
      const startedAt = new Date().toISOString();
      const report = (p: Omit<TrainingProgress, 'startedAt'>) =>
        this.leases.report(project, version, { stage: p.stage, done: p.done, total: p.total, startedAt });
      report({ stage: 'starting', done: 0, total: 0 });
      await train(() => lost, report);
    } finally {
      if (renewal) clearInterval(renewal);
      this.running.delete(key);
      await this.leases.release(project, version).catch(() => {});
    }
  }

  /** Where replicas share the database: every half lease, offers each unheld training to `adopt`. */
  adoptOrphans(adopt: (project: string, version: string) => void): void {
    if (!this.leases.shared || this.scan) return;
    this.scan = setInterval(
      () => {
        this.leases.orphans().then(
          (found) => found.filter((o) => !this.running.has(`${o.project}/${o.version}`)).forEach((o) => adopt(o.project, o.version)),
          () => {},
        );
      },
      Math.max(100, Math.floor(this.leaseMs / 2)),
    );
    this.scan.unref();
  }

  /** How far a training has got, here or on the replica that runs it; null while it waits for one. */
  progress(project: string, version: string): Promise<TrainingProgress | null> {
    return this.leases.progress(project, version);
  }

  stop(): void {
    if (this.scan) clearInterval(this.scan);
    this.scan = null;
  }
}
