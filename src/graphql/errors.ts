import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { ERROR_CODES, isAppError } from '../errors';
import type { GraphQLContext } from './context';

/**
 * The one mapping from the error registry to GraphQL: every client-visible error is a
 * GraphQLError whose `extensions.code` comes from the registry and whose HTTP status follows
 * from that code. Anything else is unexpected: logged with its stack, shown as "Unexpected error."
 */
export function toGraphQLError(err: unknown): GraphQLError {
  if (err instanceof GraphQLError) return err;
  if (isAppError(err)) {
    return new GraphQLError(err.message, {
      originalError: err,
      extensions: { code: err.code, ...err.details, http: { status: err.status } },
    });
  }
  return new GraphQLError(ERROR_CODES.INTERNAL_SERVER_ERROR.message, {
    originalError: err instanceof Error ? err : undefined,
    extensions: { code: 'INTERNAL_SERVER_ERROR', http: { status: 500 } },
  });
}

/**
 * Apollo's formatError hook: the one place a resolver's error becomes what the client sees.
 * Resolvers throw AppErrors as they are (no wrapper around every field: a wrapped field is a
 * promise on the hot path); here an AppError keeps its message and gains its registry code and
 * details; GraphQL's own errors (validation, parsing) pass; anything else is logged and masked.
 */
export function formatError(log: Logger, production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (isAppError(original)) {
      return { message: original.message, locations: formatted.locations, path: formatted.path, extensions: { code: original.code, ...original.details } };
    }
    const code = formatted.extensions?.code;
    // Apollo labels whatever it cannot name INTERNAL_SERVER_ERROR: nothing about it is the client's to read.
    if (!code || code === 'INTERNAL_SERVER_ERROR') {
      log.error({ err: original ?? error }, 'unexpected error');
      return {
        message: ERROR_CODES.INTERNAL_SERVER_ERROR.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      };
    }
    if (!production) return formatted;
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  };
}

/**
 * The HTTP status follows the registry: the first AppError in a response sets it (a refused
 * detection is 404, 409, 413, ...), as each code's entry says. Errors that carry their own status
 * (Apollo's 400s, the context's 401) keep it.
 */
export const errorStatusPlugin: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response, errors }) {
        const first = errors?.map((e) => unwrapResolverError(e)).find(isAppError);
        if (first && response.http) response.http.status = first.status;
      },
    };
  },
};
