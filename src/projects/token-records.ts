import type pg from 'pg';
import { z } from 'zod';
import { readJson, writeJsonAtomic } from './atomic-file';
import { typedFailure } from './pg-records';

/** A remembered answer to a request with a client token (idempotency.ts). */
export const storedReply = z.object({ params: z.string(), status: z.number(), body: z.unknown(), expires: z.number() });
export type StoredReply = z.infer<typeof storedReply>;

export interface TokenRecords {
  /** The answer kept for `key`, unless it expired by `now`. */
  get(key: string, now: number): Promise<StoredReply | null>;
  put(key: string, reply: StoredReply, now: number): Promise<void>;
}

/** Tokens in one JSON file under DATA_DIR; expired ones are dropped as it is rewritten. */
export class FileTokens implements TokenRecords {
  private writes = Promise.resolve();

  private constructor(
    private readonly path: string,
    private entries: Record<string, StoredReply>,
  ) {}

  static async open(path: string): Promise<FileTokens> {
    return new FileTokens(path, (await readJson(path, z.record(z.string(), storedReply)).catch(() => null)) ?? {});
  }

  async get(key: string, now: number): Promise<StoredReply | null> {
    const e = this.entries[key];
    return e && e.expires > now ? e : null;
  }

  put(key: string, reply: StoredReply, now: number): Promise<void> {
    this.entries[key] = reply;
    for (const [k, v] of Object.entries(this.entries)) if (v.expires <= now) delete this.entries[k];
    // Writes are chained so an older snapshot never lands after a newer one.
    this.writes = this.writes.catch(() => {}).then(() => writeJsonAtomic(this.path, this.entries));
    return this.writes;
  }
}

/** Tokens in PostgreSQL, so a retry that lands on another replica is recognised there too. */
export class PgTokens implements TokenRecords {
  constructor(private readonly pool: pg.Pool) {}

  async get(key: string, now: number): Promise<StoredReply | null> {
    const { rows } = await typedFailure(() =>
      this.pool.query('SELECT params, status, body, expires FROM client_tokens WHERE key = $1 AND expires > $2', [key, now]),
    );
    return rows.length ? storedReply.parse({ ...rows[0], expires: Number(rows[0].expires) }) : null;
  }

  async put(key: string, reply: StoredReply, now: number): Promise<void> {
    // The body is stored as JSON text: a bare string or array would not survive pg's own encoding.
    await typedFailure(() =>
      this.pool.query(
        `INSERT INTO client_tokens (key, params, status, body, expires) VALUES ($1, $2, $3, $4::jsonb, $5)
       ON CONFLICT (key) DO UPDATE SET params = $2, status = $3, body = $4::jsonb, expires = $5 WHERE client_tokens.expires <= $6`,
        [key, reply.params, reply.status, JSON.stringify(reply.body ?? null), reply.expires, now],
      ),
    );
    // Expired tokens are dropped now and then rather than on every write.
    if (Math.random() < 0.01) await typedFailure(() => this.pool.query('DELETE FROM client_tokens WHERE expires <= $1', [now]));
  }
}
