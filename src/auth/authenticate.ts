import { AppError } from '../errors';
import { constantTimeEqual } from '../secrets';
import type { ApiKeys } from './api-keys';
import type { JwtVerifier } from './jwt';
import { openDevelopment, type Principal } from './principal';

/**
 * The credential a request carries, checked once per request: `x-api-key`, or a bearer that is
 * GRAPHQL_ADMIN_TOKEN or a JWT. A credential that is presented and wrong is UNAUTHENTICATED, even
 * where anonymous calls would pass: a typo should not silently fall back to less access.
 * Without any credential: open in development (see `openDevelopment`; a start-up warning says
 * so), nothing in production.
 */
export interface Authenticator {
  authenticate(headers: { authorization?: string; 'x-api-key'?: string | string[] }): Promise<Principal | null>;
  /** True when the deployment accepts anonymous calls (development without credentials). */
  readonly openToAnonymous: boolean;
}

export interface AuthOptions {
  apiKeys: ApiKeys;
  jwt: JwtVerifier | null;
  adminToken: string | undefined;
  production: boolean;
}

const ADMIN: Principal = Object.freeze({ name: 'GRAPHQL_ADMIN_TOKEN', kind: 'admin-token', scopes: new Set(['admin']) });

export function createAuthenticator(o: AuthOptions): Authenticator {
  const openToAnonymous = !o.production;
  const anonymous = openDevelopment(o.apiKeys.size > 0 || o.jwt !== null || !!o.adminToken);
  return {
    openToAnonymous,
    async authenticate(headers) {
      const key = headers['x-api-key'];
      if (key !== undefined) {
        const principal = typeof key === 'string' ? o.apiKeys.find(key) : null;
        if (!principal) throw new AppError('UNAUTHENTICATED', 'The x-api-key header names no key this gateway knows.');
        return principal;
      }
      const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1];
      if (bearer !== undefined) {
        if (o.adminToken && constantTimeEqual(bearer, o.adminToken)) return ADMIN;
        // Three dot-separated parts: a JWT. Anything else is a wrong admin token.
        if (o.jwt && bearer.split('.').length === 3) return o.jwt.verify(bearer);
        throw new AppError('UNAUTHENTICATED', 'The bearer token is neither GRAPHQL_ADMIN_TOKEN nor a JWT this gateway verifies.');
      }
      return openToAnonymous ? anonymous : null;
    },
  };
}
