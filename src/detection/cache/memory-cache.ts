import { LRUCache } from 'lru-cache';
import { RECENT_CAP, type ResultCache } from './result-cache';

/**
 * The embedded default: an LRU bounded in bytes (masks dominate), with per-entry TTLs. Locks are
 * local, which is all a single process needs.
 */
export class MemoryCache implements ResultCache {
  readonly kind = 'memory' as const;
  private readonly lru: LRUCache<string, Buffer>;
  private readonly locks = new Map<string, NodeJS.Timeout>();
  private readonly recentLists = new Map<string, string[]>();
  private readonly recentTimers = new Map<string, NodeJS.Timeout>();

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, Buffer>({ maxSize: maxBytes, sizeCalculation: (v, k) => v.length + k.length + 64 });
  }

  async get(key: string): Promise<Buffer | null> {
    return this.lru.get(key) ?? null;
  }

  async set(key: string, value: Buffer, ttlSeconds: number): Promise<void> {
    this.lru.set(key, value, { ttl: ttlSeconds * 1000 });
  }

  async lock(key: string, ttlMs: number): Promise<boolean> {
    if (this.locks.has(key)) return false;
    const timer = setTimeout(() => this.locks.delete(key), ttlMs);
    timer.unref();
    this.locks.set(key, timer);
    return true;
  }

  async unlock(key: string): Promise<void> {
    clearTimeout(this.locks.get(key));
    this.locks.delete(key);
  }

  async addRecent(project: string, member: string, ttlSeconds: number): Promise<void> {
    const list = (this.recentLists.get(project) ?? []).filter((m) => m !== member);
    list.push(member);
    list.sort();
    if (list.length > RECENT_CAP) list.splice(0, list.length - RECENT_CAP);
    this.recentLists.set(project, list);
    // The list lives as long as its newest result does, as the Redis key's TTL would have it.
    clearTimeout(this.recentTimers.get(project));
    const timer = setTimeout(() => {
      this.recentLists.delete(project);
      this.recentTimers.delete(project);
    }, ttlSeconds * 1000);
    timer.unref();
    this.recentTimers.set(project, timer);
  }

  async recent(project: string, before: string | null, count: number): Promise<{ members: string[]; total: number }> {
    const list = this.recentLists.get(project) ?? [];
    const older = before === null ? list : list.filter((m) => m < before);
    return { members: older.slice(-count).reverse(), total: list.length };
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    for (const t of this.locks.values()) clearTimeout(t);
    for (const t of this.recentTimers.values()) clearTimeout(t);
    this.recentLists.clear();
    this.locks.clear();
    this.lru.clear();
  }
}
