import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring URLs: masks and pictures to GET, and out-of-band uploads to PUT. The signature is HMAC-SHA256 over the path and the expiry, with a
 * key id in the URL so several keys can verify while the newest signs: rotate by adding a new key
 * in front and dropping the old one after the longest URL lifetime. Signatures are compared in
 * constant time.
 */
export interface SigningKey {
  id: string;
  secret: string;
}

export type SignedMethod = 'GET' | 'PUT';

export type Verdict = { ok: true } | { ok: false; reason: 'malformed' | 'unknown-key' | 'bad-signature' | 'expired' };

export class MaskSigner {
  private readonly keys: Map<string, Buffer>;
  private readonly signingKey: SigningKey;

  constructor(
    keys: SigningKey[],
    private readonly now: () => number = Date.now,
  ) {
    if (!keys.length) throw new Error('MaskSigner needs at least one key');
    this.signingKey = keys[0];
    this.keys = new Map(keys.map((k) => [k.id, Buffer.from(k.secret, 'utf8')]));
  }

  /** A random key for a single process (replicas then cannot verify each other's URLs). */
  static ephemeral(): MaskSigner {
    return new MaskSigner([{ id: 'ephemeral', secret: randomBytes(32).toString('base64url') }]);
  }

  // The method is signed too: a URL that may GET a mask must not PUT an upload, and the reverse.
  private mac(secret: Buffer, method: SignedMethod, path: string, expires: number): Buffer {
    return createHmac('sha256', secret).update(`${method}\n${path}\n${expires}`).digest();
  }

  /** Returns the query string (without `?`) that makes `method path` valid until `expiresAt`. */
  sign(path: string, expiresAt: Date, method: SignedMethod = 'GET'): string {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    const sig = this.mac(Buffer.from(this.signingKey.secret, 'utf8'), method, path, expires).toString('base64url');
    return new URLSearchParams({ exp: String(expires), kid: this.signingKey.id, sig }).toString();
  }

  verify(path: string, query: { exp?: unknown; kid?: unknown; sig?: unknown }, method: SignedMethod = 'GET'): Verdict {
    const { exp, kid, sig } = query;
    if (typeof exp !== 'string' || typeof kid !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(exp)) return { ok: false, reason: 'malformed' };
    const secret = this.keys.get(kid);
    if (!secret) return { ok: false, reason: 'unknown-key' };
    const expected = this.mac(secret, method, path, Number(exp));
    const given = Buffer.from(sig, 'base64url');
    // Length first: timingSafeEqual throws on unequal lengths, and the length is not secret.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
    // Expiry after the signature, so an attacker learns nothing from changing `exp`.
    if (Number(exp) * 1000 <= this.now()) return { ok: false, reason: 'expired' };
    return { ok: true };
  }
}
