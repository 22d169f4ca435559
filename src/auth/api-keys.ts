import { hash, timingSafeEqual } from 'node:crypto';
import type { Principal } from './principal';

/**
 * API keys (`API_KEYS=name:secret:scope+scope,...`, sent as `x-api-key: <secret>`). Only each
 * secret's SHA-256 is kept once the config is read, and a presented secret is hashed and
 * compared with every key in constant time, so neither memory nor timing tells a secret. A key
 * is rotated by listing the new one beside the old, then dropping the old.
 */
export interface ApiKey {
  name: string;
  secret: string;
  scopes: string[];
}

interface StoredKey {
  principal: Principal;
  hash: Buffer;
}

const sha256 = (text: string) => hash('sha256', text, 'buffer');

export class ApiKeys {
  private readonly keys: StoredKey[];

  constructor(keys: readonly ApiKey[]) {
    this.keys = keys.map((k) => ({ hash: sha256(k.secret), principal: Object.freeze({ name: k.name, kind: 'api-key' as const, scopes: new Set(k.scopes) }) }));
  }

  get size(): number {
    return this.keys.length;
  }

  /** The key's principal, or null. Every key is compared, so the time does not say which matched. */
  find(secret: string): Principal | null {
    const given = sha256(secret);
    let found: Principal | null = null;
    for (const k of this.keys) if (timingSafeEqual(k.hash, given)) found ??= k.principal;
    return found;
  }
}
