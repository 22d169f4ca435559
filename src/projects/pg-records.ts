import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { StaleRecordError, revisionKey, type RecordStore, type Revision, type StoredProject } from './record-store';
import { datasetRecord, modelRecord, projectRecord, type DatasetRecord, type DatasetType, type ModelRecord, type ProjectRecord } from './records';

/** Changes are announced on this channel as "<writer id> <project>", in the writing transaction. */
const CHANNEL = 'lookout_gateway_changes';
const RECONNECT_MS = 1000;

/**
 * The registry's records in PostgreSQL, shared by every replica. A write is one statement that
 * compares the revision it expects and moves it, and announces the change with pg_notify in the
 * same transaction, so a listener hears of it only once it is committed. Each replica LISTENs on
 * its own connection; after that connection drops, the listener is told everything may have
 * changed (notifications sent meanwhile are lost).
 */
export class PgRecords implements RecordStore {
  readonly kind = 'postgres' as const;
  /** Tells this replica's own notifications from the others'. */
  private readonly writer = randomBytes(6).toString('hex');
  private listener: pg.Client | null = null;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly connectionString: string,
    private readonly log: Logger,
  ) {}

  async loadAll(): Promise<StoredProject[]> {
    return this.load(null);
  }

  async loadProject(name: string): Promise<StoredProject | null> {
    return (await this.load(name))[0] ?? null;
  }

  private async load(name: string | null): Promise<StoredProject[]> {
    const where = name === null ? '' : ' WHERE name = $1';
    const args = name === null ? [] : [name];
    const [projects, datasets, models] = await this.run(() =>
      Promise.all([
        this.pool.query(`SELECT name, record, revision FROM projects${where}`, args),
        this.pool.query(`SELECT project, record, revision FROM datasets${name === null ? '' : ' WHERE project = $1'}`, args),
        this.pool.query(`SELECT project, record, revision FROM models${name === null ? '' : ' WHERE project = $1'}`, args),
      ]),
    );
    const byName = new Map<string, StoredProject>();
    for (const row of projects.rows) byName.set(row.name, { project: projectRecord.parse(row.record), datasets: [], models: [], revision: row.revision });
    for (const row of datasets.rows) byName.get(row.project)?.datasets.push({ record: datasetRecord.parse(row.record), revision: row.revision });
    for (const row of models.rows) byName.get(row.project)?.models.push({ record: modelRecord.parse(row.record), revision: row.revision });
    return [...byName.values()];
  }

  saveProject(record: ProjectRecord, expected: Revision): Promise<number> {
    return expected === null
      ? this.write(record.name, revisionKey.project, 'INSERT INTO projects (name, record, revision) VALUES ($3, $4, 1) ON CONFLICT DO NOTHING', [
          record.name,
          record,
        ])
      : this.write(record.name, revisionKey.project, 'UPDATE projects SET record = $4, revision = revision + 1 WHERE name = $3 AND revision = $5', [
          record.name,
          record,
          expected,
        ]);
  }

  saveDataset(project: string, record: DatasetRecord, expected: Revision): Promise<number> {
    const key = revisionKey.dataset(record.type);
    return expected === null
      ? this.write(project, key, 'INSERT INTO datasets (project, type, record, revision) VALUES ($3, $4, $5, 1) ON CONFLICT DO NOTHING', [
          project,
          record.type,
          record,
        ])
      : this.write(project, key, 'UPDATE datasets SET record = $5, revision = revision + 1 WHERE project = $3 AND type = $4 AND revision = $6', [
          project,
          record.type,
          record,
          expected,
        ]);
  }

  saveModel(project: string, record: ModelRecord, expected: Revision): Promise<number> {
    const key = revisionKey.model(record.version);
    const version = Number(record.version);
    return expected === null
      ? this.write(project, key, 'INSERT INTO models (project, version, record, revision) VALUES ($3, $4, $5, 1) ON CONFLICT DO NOTHING', [
          project,
          version,
          record,
        ])
      : this.write(project, key, 'UPDATE models SET record = $5, revision = revision + 1 WHERE project = $3 AND version = $4 AND revision = $6', [
          project,
          version,
          record,
          expected,
        ]);
  }

  async deleteDataset(project: string, type: DatasetType, expected: Revision): Promise<void> {
    await this.remove(project, revisionKey.dataset(type), 'datasets', 'project = $3 AND type = $4', [project, type], expected);
  }

  async deleteModel(project: string, version: string, expected: Revision): Promise<void> {
    await this.remove(project, revisionKey.model(version), 'models', 'project = $3 AND version = $4', [project, Number(version)], expected);
  }

  async deleteProject(name: string, expected: Revision): Promise<void> {
    // Datasets and models go with it (ON DELETE CASCADE).
    await this.remove(name, revisionKey.project, 'projects', 'name = $3', [name], expected);
  }

  /**
   * Runs a write whose statement names the change's parameters from $3 on ($1 and $2 carry the
   * notification) and returns the new revision; no row written means the expected one was stale.
   */
  private async write(project: string, key: string, statement: string, params: unknown[]): Promise<number> {
    const { rows } = await this.run(() =>
      this.pool.query(`WITH w AS (${statement} RETURNING revision) SELECT w.revision, pg_notify($1, $2) FROM w`, [CHANNEL, this.payload(project), ...params]),
    );
    if (!rows.length) throw new StaleRecordError(project, key);
    return rows[0].revision as number;
  }

  /**
   * Deletes what was read at `expected` (`where` names its parameters from $3 on). Null: this
   * replica never saw it stored, so there is nothing to delete, unless another replica stored it.
   */
  private async remove(project: string, key: string, table: string, where: string, params: unknown[], expected: Revision): Promise<void> {
    if (expected === null) {
      const shifted = where.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) - 2}`);
      const { rows } = await this.run(() => this.pool.query(`SELECT 1 FROM ${table} WHERE ${shifted}`, params));
      if (rows.length) throw new StaleRecordError(project, key);
      return;
    }
    const statement = `DELETE FROM ${table} WHERE ${where} AND revision = $${params.length + 3} RETURNING 1`;
    const { rows } = await this.run(() =>
      this.pool.query(`WITH d AS (${statement}) SELECT pg_notify($1, $2) FROM d`, [CHANNEL, this.payload(project), ...params, expected]),
    );
    if (!rows.length) throw new StaleRecordError(project, key);
  }

  private payload(project: string): string {
    return `${this.writer} ${project}`;
  }

  watch(onChange: (project: string | null) => void): void {
    const connect = async (): Promise<void> => {
      if (this.closed) return;
      const client = new pg.Client({ connectionString: this.connectionString });
      client.on('error', () => {}); // reported through 'end'
      client.on('notification', (n) => {
        const [writer, project] = (n.payload ?? '').split(' ');
        if (writer !== this.writer && project) onChange(project);
      });
      client.once('end', () => {
        this.listener = null;
        if (this.closed) return;
        this.log.warn('lost the database connection that hears other replicas; reconnecting');
        setTimeout(() => void connect(), RECONNECT_MS).unref();
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${CHANNEL}`);
        this.listener = client;
        // Whatever changed while nobody listened is read again.
        onChange(null);
      } catch {
        await client.end().catch(() => {});
      }
    };
    void connect();
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => {});
    await this.pool.end();
  }

  private run<T>(op: () => Promise<T>): Promise<T> {
    return typedFailure(op);
  }
}

/** Database failures leave as one typed error; the pool reconnects by itself when the database is back. */
export async function typedFailure<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (isUnreachable(err)) throw new AppError('STATE_UNAVAILABLE', 'The gateway cannot reach its database; retry shortly.');
    throw err;
  }
}

/** Connection failures (refused, dropped, the server shutting down), as opposed to a bad statement. */
export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  const code = e?.code ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE'].includes(code) ||
    code.startsWith('08') || // connection exception
    code === '57P01' || // admin shutdown
    code === '57P03' || // cannot connect now
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(e?.message ?? '')
  );
}
