import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { typedFailure } from './pg-records';

/**
 * Who runs a training. One gateway on its own files runs every training it is asked for (and,
 * after a restart, those it had not finished). Replicas on one database take a lease per
 * training: the replica that made the model claims it, renews it while the engine works, and
 * gives it up when done; a training whose holder stopped renewing (a replica killed mid-way) is
 * claimed by the next replica that looks, so it is never lost and never runs twice at once.
 */
/** Where a training stands: the engine's stage and its count, since `startedAt` (ISO time). */
export interface TrainingProgress {
  stage: string;
  done: number;
  total: number;
  startedAt: string;
}

export interface TrainingLeases {
  readonly shared: boolean;
  /**
   * The latest progress of a training this replica runs: kept here at once, and in the shared
   * lease with its next renewal (so another replica sees it a third of a lease late at most).
   */
  report(project: string, version: string, progress: TrainingProgress): void;
  /** The latest known progress of a training, whoever runs it; null when none has been reported. */
  progress(project: string, version: string): Promise<TrainingProgress | null>;
  /** Takes the training unless a live lease is someone else's. */
  claim(project: string, version: string): Promise<boolean>;
  /** Extends this replica's lease; false when it was lost (expired and taken). */
  renew(project: string, version: string): Promise<boolean>;
  release(project: string, version: string): Promise<void>;
  /** Trainings nobody holds (no lease, or an expired one). */
  orphans(): Promise<{ project: string; version: string }[]>;
}

const key = (project: string, version: string) => `${project}/${version}`;

/** In one process every training is its own. */
export class LocalLeases implements TrainingLeases {
  readonly shared = false;
  protected readonly reported = new Map<string, TrainingProgress>();
  async claim(): Promise<boolean> {
    return true;
  }
  async renew(): Promise<boolean> {
    return true;
  }
  async release(project: string, version: string): Promise<void> {
    this.reported.delete(key(project, version));
  }
  report(project: string, version: string, progress: TrainingProgress): void {
    this.reported.set(key(project, version), progress);
  }
  async progress(project: string, version: string): Promise<TrainingProgress | null> {
    return this.reported.get(key(project, version)) ?? null;
  }
  async orphans(): Promise<{ project: string; version: string }[]> {
    return [];
  }
}

// SQL NULL (not JSON null) when nothing was reported, so the stored progress is kept.
const progressJson = (p: TrainingProgress | undefined) => (p ? JSON.stringify(p) : null);

export class PgLeases implements TrainingLeases {
  readonly shared = true;
  readonly holder = randomBytes(8).toString('hex');
  private readonly reported = new Map<string, TrainingProgress>();

  report(project: string, version: string, progress: TrainingProgress): void {
    this.reported.set(key(project, version), progress);
  }

  async progress(project: string, version: string): Promise<TrainingProgress | null> {
    const mine = this.reported.get(key(project, version));
    if (mine) return mine;
    const { rows } = await typedFailure(() =>
      this.pool.query('SELECT progress FROM training_leases WHERE project = $1 AND version = $2 AND expires_at >= now()', [project, Number(version)]),
    );
    return (rows[0]?.progress as TrainingProgress | null | undefined) ?? null;
  }

  constructor(
    private readonly pool: pg.Pool,
    private readonly leaseMs: number,
  ) {}

  async claim(project: string, version: string): Promise<boolean> {
    // The database's clock decides expiry, so replicas whose clocks differ still agree.
    const { rows } = await typedFailure(() =>
      this.pool.query(
        `INSERT INTO training_leases (project, version, holder, expires_at)
         SELECT $1, $2, $3, now() + make_interval(secs => $4::double precision / 1000)
         WHERE EXISTS (SELECT 1 FROM models WHERE project = $1 AND version = $2 AND status = 'TRAINING')
         ON CONFLICT (project, version) DO UPDATE SET holder = $3, expires_at = EXCLUDED.expires_at
           WHERE training_leases.expires_at < now() OR training_leases.holder = $3
         RETURNING holder`,
        [project, Number(version), this.holder, this.leaseMs],
      ),
    );
    return rows.length === 1;
  }

  async renew(project: string, version: string): Promise<boolean> {
    const { rowCount } = await typedFailure(() =>
      this.pool.query(
        `UPDATE training_leases SET expires_at = now() + make_interval(secs => $4::double precision / 1000), progress = COALESCE($5::jsonb, progress)
         WHERE project = $1 AND version = $2 AND holder = $3`,
        [project, Number(version), this.holder, this.leaseMs, progressJson(this.reported.get(key(project, version)))],
      ),
    );
    return rowCount === 1;
  }

  async release(project: string, version: string): Promise<void> {
    this.reported.delete(key(project, version));
    await typedFailure(() =>
      this.pool.query('DELETE FROM training_leases WHERE project = $1 AND version = $2 AND holder = $3', [project, Number(version), this.holder]),
    );
  }

  async orphans(): Promise<{ project: string; version: string }[]> {
    const { rows } = await typedFailure(() =>
      this.pool.query(
        `SELECT m.project, m.version FROM models m
         LEFT JOIN training_leases l ON l.project = m.project AND l.version = m.version
         WHERE m.status = 'TRAINING' AND (l.expires_at IS NULL OR l.expires_at < now())
         ORDER BY m.project, m.version`,
      ),
    );
    return rows.map((r) => ({ project: r.project as string, version: String(r.version) }));
  }
}
