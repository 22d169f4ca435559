import { createHash } from 'node:crypto';
import { AppError } from '../errors';
import type { TokenRecords } from './token-records';

/**
 * Client tokens (`X-Amzn-Client-Token`): a retried request with the same token and the same
 * parameters gets the first answer again and changes nothing; the same token with other
 * parameters is a ConflictException. Tokens live 8 hours, as the service documented, and are
 * kept in the record store (a file, or PostgreSQL shared by replicas) so a retry that spans a
 * restart, or lands on another replica, is still recognised.
 */
export const TOKEN_TTL_MS = 8 * 3600 * 1000;

export interface Replay {
  status: number;
  body: unknown;
}

export class IdempotencyStore {
  /** Requests with a token still running here: a duplicate arriving meanwhile waits for the first. */
  private readonly running = new Map<string, { params: string; done: Promise<Replay> }>();

  constructor(private readonly records: TokenRecords) {}

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
    const done = this.replayOrRun(key, hash, conflict, work, now);
    this.running.set(key, { params: hash, done });
    try {
      return await done;
    } finally {
      this.running.delete(key);
    }
  }

  private async replayOrRun(key: string, hash: string, conflict: () => AppError, work: () => Promise<Replay>, now: number): Promise<Replay> {
    const old = await this.records.get(key, now);
    if (old) {
      if (old.params !== hash) throw conflict();
      return { status: old.status, body: old.body };
    }
    const reply = await work();
    await this.records.put(key, { params: hash, status: reply.status, body: reply.body, expires: now + TOKEN_TTL_MS }, now);
    return reply;
  }
}
