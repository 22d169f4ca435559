import { LRUCache } from 'lru-cache';
import type { ResultCache } from './result-cache';

/**
 * The embedded default: an LRU bounded in bytes (masks dominate), with per-entry TTLs. Locks are
 * local, which is all a single process needs.
 */
export class MemoryCache implements ResultCache {
  readonly kind = 'memory' as const;
  private readonly lru: LRUCache<string, Buffer>;
  private readonly locks = new Map<string, NodeJS.Timeout>();

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

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    for (const t of this.locks.values()) clearTimeout(t);
    this.locks.clear();
    this.lru.clear();
  }
}
