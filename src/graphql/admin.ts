import { requireAdminScope } from '../auth/principal';
import { AppError } from '../errors';
import type { GraphQLContext, ProjectServices } from './context';

/**
 * The management mutations create, train and delete models, so they need the admin scope: an API
 * key with `admin`, GRAPHQL_ADMIN_TOKEN as a bearer, or a JWT carrying it. Anonymous callers have
 * it only in development with no credential configured (a newcomer's first minutes).
 */
export function requireAdmin(ctx: GraphQLContext): ProjectServices {
  const { config, projects } = ctx.services;
  requireAdminScope(ctx.principal);
  if (!projects)
    throw new AppError('NOT_SUPPORTED', `Model management needs the embedded engine (BACKEND=local); this gateway runs BACKEND=${config.BACKEND}.`);
  return projects;
}
