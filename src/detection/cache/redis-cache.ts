import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import { RECENT_CAP, type ResultCache } from './result-cache';

/**
 * Redis through ioredis, set up so that an outage costs each request at most one command
 * timeout: with defaults ioredis queues commands while disconnected and a `get` took ~74 s to
 * fail; `enableOfflineQueue: false` fails at once while down and `commandTimeout` bounds a
 * command that hangs. Every error is logged once per burst and answered as a miss.
 */
export class RedisCache implements ResultCache {
  readonly kind = 'redis' as const;
  readonly client: Redis;
  private readonly owner = randomBytes(8).toString('hex');
  private lastWarning = 0;

  constructor(
    url: string,
    private readonly prefix: string,
    commandTimeoutMs: number,
    private readonly log: Logger,
    /** Told of every failure, including the ones the log skips (metrics count them all). */
    private readonly onError: () => void = () => {},
  ) {
    this.client = new Redis(url, {
      enableOfflineQueue: false,
      commandTimeout: commandTimeoutMs,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      lazyConnect: false,
      enableAutoPipelining: true,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    // Without a listener ioredis reports every reconnect failure as an unhandled error event.
    this.client.on('error', (err) => this.warn('redis connection error', err));
  }

  private warn(msg: string, err: unknown): void {
    this.onError();
    const now = Date.now();
    if (now - this.lastWarning < 10_000) return;
    this.lastWarning = now;
    this.log.warn({ err }, `${msg}; treating the cache as empty`);
  }

  private async attempt<T>(what: string, fallback: T, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      this.warn(`redis ${what} failed`, err);
      return fallback;
    }
  }

  get(key: string): Promise<Buffer | null> {
    return this.attempt('get', null, () => this.client.getBuffer(this.prefix + key));
  }

  async set(key: string, value: Buffer, ttlSeconds: number): Promise<void> {
    await this.attempt('set', undefined, async () => {
      await this.client.set(this.prefix + key, value, 'EX', ttlSeconds);
    });
  }

  lock(key: string, ttlMs: number): Promise<boolean> {
    // When Redis is down nobody can coordinate; proceeding beats waiting for a lock nobody holds.
    return this.attempt('lock', true, async () => (await this.client.set(`${this.prefix}lock:${key}`, this.owner, 'PX', ttlMs, 'NX')) === 'OK');
  }

  async unlock(key: string): Promise<void> {
    // Delete only our own lock: after a long detection the lock may have expired and been taken.
    await this.attempt('unlock', undefined, async () => {
      await this.client.eval(
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end",
        1,
        `${this.prefix}lock:${key}`,
        this.owner,
      );
    });
  }

  async addRecent(project: string, member: string, ttlSeconds: number): Promise<void> {
    const key = `${this.prefix}recent:${project}`;
    // All scores are 0, so the set orders by member: `<time>:<id>`, which is time order.
    await this.attempt('addRecent', undefined, async () => {
      await this.client
        .multi()
        .zadd(key, 0, member)
        .zremrangebyrank(key, 0, -RECENT_CAP - 1)
        .expire(key, ttlSeconds)
        .exec();
    });
  }

  recent(project: string, before: string | null, count: number): Promise<{ members: string[]; total: number }> {
    const key = `${this.prefix}recent:${project}`;
    return this.attempt('recent', { members: [], total: 0 }, async () => {
      const [members, total] = await Promise.all([
        this.client.zrevrangebylex(key, before === null ? '+' : `(${before}`, '-', 'LIMIT', 0, count),
        this.client.zcard(key),
      ]);
      return { members, total };
    });
  }

  ping(): Promise<boolean> {
    return this.attempt('ping', false, async () => (await this.client.ping()) === 'PONG');
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
