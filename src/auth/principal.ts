import { AppError } from '../errors';

/**
 * Who is calling, and what they may do. Scopes, as API keys and JWTs carry them:
 * - `detect:<project>` run detections with a project's models;
 * - `read:<project>` read a project, its models and its cached detections;
 * - `detect:*`, `read:*` the same for every project;
 * - `router` a federation router: the subgraph's SDL (`_service`) and introspection;
 * - `metrics` a Prometheus scraper: `/metrics`;
 * - `admin` everything, model management included.
 */
export interface Principal {
  /** The key's name or the token's subject: for logs, never a secret. */
  name: string;
  kind: 'api-key' | 'jwt' | 'admin-token' | 'open-development';
  scopes: ReadonlySet<string>;
}

export type ProjectAction = 'detect' | 'read';

/**
 * An anonymous caller in development: everything when no credential is configured (the README's
 * first minutes), and detection, reads and the schema when some are (management then needs one,
 * as it always has with GRAPHQL_ADMIN_TOKEN set).
 */
export function openDevelopment(credentialsConfigured: boolean): Principal {
  const scopes = credentialsConfigured ? ['detect:*', 'read:*', 'router'] : ['admin'];
  return Object.freeze({ name: 'anonymous (development)', kind: 'open-development' as const, scopes: new Set(scopes) });
}

export function isAdmin(p: Principal | null): boolean {
  return !!p?.scopes.has('admin');
}

export function mayOnProject(p: Principal | null, action: ProjectAction, project: string): boolean {
  if (!p) return false;
  return p.scopes.has('admin') || p.scopes.has(`${action}:*`) || p.scopes.has(`${action}:${project}`);
}

/** Routers and administrators: the schema itself (introspection, `_service`) and readiness details. */
export function isOperator(p: Principal | null): boolean {
  return !!p && (p.scopes.has('admin') || p.scopes.has('router'));
}

export function requireOnProject(p: Principal | null, action: ProjectAction, project: string): void {
  if (mayOnProject(p, action, project)) return;
  throw new AppError(
    'FORBIDDEN',
    `This credential may not ${action} in project "${project.slice(0, 255)}" (it needs the scope ${action}:${project.slice(0, 255)}, ${action}:* or admin).`,
    { requiredScope: `${action}:${project.slice(0, 255)}` },
  );
}

export function requireAdminScope(p: Principal | null): void {
  if (!isAdmin(p))
    throw new AppError('FORBIDDEN', 'This needs a credential with the admin scope (an API key with admin, or GRAPHQL_ADMIN_TOKEN).', {
      requiredScope: 'admin',
    });
}

/** Prometheus scrapers, routers and administrators: `/metrics` in production. */
export function mayReadMetrics(p: Principal | null): boolean {
  return !!p && (p.scopes.has('metrics') || isOperator(p));
}

const SCOPE = /^(admin|router|metrics|(detect|read):(\*|[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}))$/;

export function isScope(text: string): boolean {
  return SCOPE.test(text);
}
