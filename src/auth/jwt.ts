import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { AppError } from '../errors';
import { isScope, type Principal } from './principal';

/**
 * JWTs in `authorization: Bearer`, verified against a JWKS (JWKS_URL) with the issuer and
 * audience the operator names, as Apollo Router and Hive Gateway forward them after their own
 * authentication. jose fetches the key set, caches it, and refetches when a token names a key
 * it has not seen (key rotation) at most every 30 s.
 *
 * Scopes come from the OAuth 2.0 `scope` claim (space separated) or, as several identity
 * providers send them, from `scp` or `permissions` arrays. Claims that are not scopes this
 * gateway knows are ignored.
 */
export interface JwtOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
}

export class JwtVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly options: JwtOptions) {
    this.jwks = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
  }

  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, { issuer: this.options.issuer, audience: this.options.audience, clockTolerance: 30 }));
    } catch (err) {
      // The key set being unreachable is the gateway's problem, not the caller's credential.
      if (err instanceof errors.JWKSTimeout || (err instanceof Error && /fetch failed|ECONNREFUSED/.test(err.message))) {
        throw new AppError('UPSTREAM_ERROR', 'The key set (JWKS_URL) that verifies tokens cannot be reached.', {}, { cause: err });
      }
      const why =
        err instanceof errors.JWTExpired
          ? 'it has expired'
          : err instanceof errors.JWTClaimValidationFailed
            ? `its "${err.claim}" claim is not accepted`
            : 'it is not valid';
      throw new AppError('UNAUTHENTICATED', `The bearer token was refused: ${why}.`, {}, { cause: err });
    }
    return Object.freeze({ name: String(payload.sub ?? 'jwt'), kind: 'jwt' as const, scopes: new Set(scopesOf(payload)) });
  }
}

function scopesOf(payload: JWTPayload): string[] {
  const out: string[] = [];
  if (typeof payload.scope === 'string') out.push(...payload.scope.split(' '));
  for (const claim of ['scp', 'permissions']) {
    const v = payload[claim];
    if (Array.isArray(v)) out.push(...v.filter((s): s is string => typeof s === 'string'));
    else if (typeof v === 'string') out.push(...v.split(' '));
  }
  return out.filter(isScope);
}
