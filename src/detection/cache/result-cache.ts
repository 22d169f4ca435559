/**
 * Where detection results and their mask PNGs are kept between requests: Redis when configured
 * (shared by replicas), otherwise an in-process LRU. Every failure is a miss: the cache makes
 * answers faster, never makes them fail.
 */
export interface ResultCache {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, ttlSeconds: number): Promise<void>;
  /**
   * Takes a short lock (`SET NX PX`): true for the caller that got it. Used so that replicas
   * sharing a cache make one backend call per image and model.
   */
  lock(key: string, ttlMs: number): Promise<boolean>;
  unlock(key: string): Promise<void>;
  /**
   * Adds a detection to a project's recent list: members are `<time>:<id>` (time zero-padded, so
   * their order is time order), kept to the newest RECENT_CAP and for `ttlSeconds` after the
   * last one, like the results they name.
   */
  addRecent(project: string, member: string, ttlSeconds: number): Promise<void>;
  /** The newest `count` members strictly before `before` (all when null), newest first, and how many there are. */
  recent(project: string, before: string | null, count: number): Promise<{ members: string[]; total: number }>;
  /** For /readyz: whether the cache answers now. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Detections a project's recent list keeps. */
export const RECENT_CAP = 1000;
