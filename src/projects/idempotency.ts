import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors';
import { readJson, writeJsonAtomic } from './atomic-file';

/**
 * Client tokens (`X-Amzn-Client-Token`): a retried request with the same token and the same
 * parameters gets the first answer again and changes nothing; the same token with other
 * parameters is a ConflictException. Tokens live 8 hours, as the service documented, and are
 * kept on disk so a retry that spans a restart of the gateway is still recognised.
 */
export const TOKEN_TTL_MS = 8 * 3600 * 1000;

const stored = z.record(z.string(), z.object({ params: z.string(), status: z.number(), body: z.unknown(), expires: z.number() }));
type Stored = z.infer<typeof stored>;

export interface Replay {
  status: number;
  body: unknown;
}

export class IdempotencyStore {
  private entries: Stored = {};
  /** Requests with a token still running: a duplicate arriving meanwhile waits for the first. */
  private readonly running = new Map<string, { params: string; done: Promise<Replay> }>();
  private writes = Promise.resolve();

  private constructor(private readonly path: string) {}

  static async open(path: string): Promise<IdempotencyStore> {
    const store = new IdempotencyStore(path);
    store.entries = (await readJson(path, stored).catch(() => null)) ?? {};
    return store;
  }

  /**
   * Runs `work` once per (operation, token). `params` is everything else the request said; it
   * must match for a replay. Only successes are remembered: a failed call may be retried.
   */
  async run(
    operation: string,
    token: string | undefined,
    params: unknown,
    resource: { type: string; id: string },
    work: () => Promise<Replay>,
    now = Date.now(),
  ): Promise<Replay> {
    if (!token) return work();
    const key = `${operation}:${token}`;
    const hash = createHash('sha256')
      .update(JSON.stringify(params ?? null))
      .digest('hex');
    const conflict = () =>
      new AppError('IDEMPOTENCY_CONFLICT', `The client token ${token} was used for ${operation} with other parameters.`, {
        resourceId: resource.id,
        resourceType: resource.type,
      });
    const inFlight = this.running.get(key);
    if (inFlight) {
      if (inFlight.params !== hash) throw conflict();
      return inFlight.done;
    }
    const old = this.entries[key];
    if (old && old.expires > now) {
      if (old.params !== hash) throw conflict();
      return { status: old.status, body: old.body };
    }
    const done = work();
    this.running.set(key, { params: hash, done });
    try {
      const reply = await done;
      this.entries[key] = { params: hash, status: reply.status, body: reply.body, expires: now + TOKEN_TTL_MS };
      await this.persist(now);
      return reply;
    } finally {
      this.running.delete(key);
    }
  }

  private persist(now: number): Promise<void> {
    for (const [k, v] of Object.entries(this.entries)) if (v.expires <= now) delete this.entries[k];
    // Writes are chained so an older snapshot never lands after a newer one.
    this.writes = this.writes.catch(() => {}).then(() => writeJsonAtomic(this.path, this.entries));
    return this.writes;
  }
}
