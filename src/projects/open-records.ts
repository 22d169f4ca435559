import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { FileRecords } from './file-records';
import { PgRecords } from './pg-records';
import { migrateSchema } from './pg-schema';
import type { RecordStore } from './record-store';
import { FileTokens, PgTokens, type TokenRecords } from './token-records';
import { LocalLeases, PgLeases, type TrainingLeases } from './training-leases';

/** A database the gateway cannot use at start: main.ts prints it and exits. */
export class DatabaseStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseStartError';
  }
}

type StateConfig = Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_SIZE'> & Partial<Pick<Config, 'TRAINING_LEASE_MS'>>;

/**
 * Where records and client tokens are kept, as the settings ask: PostgreSQL with DATABASE_URL
 * (its schema brought up to date first), otherwise files under DATA_DIR.
 */
export interface SharedState {
  records: RecordStore;
  tokens: TokenRecords;
  leases: TrainingLeases;
}

export async function openState(config: StateConfig, dataDir: string, log: Logger): Promise<SharedState> {
  if (!config.DATABASE_URL) {
    return { records: new FileRecords(dataDir), tokens: await FileTokens.open(join(dataDir, 'client-tokens.json')), leases: new LocalLeases() };
  }
  const url = config.DATABASE_URL;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await migrateSchema(client, (line) => log.info(line));
  } catch (err) {
    throw new DatabaseStartError(`cannot use the database at ${redact(url)}: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
  const pool = new pg.Pool({ connectionString: url, max: config.DATABASE_POOL_SIZE, connectionTimeoutMillis: 5000 });
  // An idle connection the server drops is replaced by the pool; without a listener it would crash the process.
  pool.on('error', (err) => log.warn({ err }, 'a database connection failed'));
  log.info({ database: redact(url) }, 'projects, datasets and models are kept in PostgreSQL');
  return { records: new PgRecords(pool, url, log), tokens: new PgTokens(pool), leases: new PgLeases(pool, config.TRAINING_LEASE_MS ?? 30_000) };
}

/** The record store alone (tests of the stores). */
export async function openRecords(config: StateConfig, dataDir: string, log: Logger): Promise<RecordStore> {
  return (await openState(config, dataDir, log)).records;
}

/** The URL without its password, for logs and errors. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'DATABASE_URL';
  }
}
