import { AppError } from '../errors';
import type { ProjectServices } from './context';
import type { GraphQLContext } from './context';
import { constantTimeEqual } from '../secrets';

/**
 * The management mutations create, train and delete models, so they are not for anyone who can
 * reach the port. With GRAPHQL_ADMIN_TOKEN set they need `authorization: Bearer <token>`;
 * without it they are open in development (a newcomer's first minutes) and refused in
 * production, as the Lookout for Vision endpoint is without keys.
 */
export function requireAdmin(ctx: GraphQLContext): ProjectServices {
  const { config, projects } = ctx.services;
  if (!projects) throw new AppError('NOT_SUPPORTED', `Model management needs the embedded engine (BACKEND=local); this gateway runs BACKEND=${config.BACKEND}.`);
  const token = config.GRAPHQL_ADMIN_TOKEN;
  if (token) {
    const given = /^Bearer (.+)$/.exec(ctx.authorization ?? '')?.[1] ?? '';
    if (!constantTimeEqual(given, token)) throw new AppError('FORBIDDEN', 'Model management needs the header "authorization: Bearer <GRAPHQL_ADMIN_TOKEN>".');
  } else if (config.NODE_ENV === 'production') {
    throw new AppError('FORBIDDEN', 'Model management over GraphQL is off in production until GRAPHQL_ADMIN_TOKEN is set.');
  }
  return projects;
}
