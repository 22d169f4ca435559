import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { ERROR_CODES, isAppError } from '../errors';

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

/** Apollo's formatError hook: masks what escaped the resolvers' mapping and logs it. */
export function formatError(log: Logger, production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    const code = formatted.extensions?.code;
    if (code === 'INTERNAL_SERVER_ERROR' || (!code && original && !isAppError(original))) {
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

/** Wraps every resolver of a map so AppErrors leave as GraphQLErrors with their code. */
export function mapErrors<T extends Record<string, unknown>>(resolvers: T): T {
  const wrap =
    (fn: (...args: unknown[]) => unknown) =>
    async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toGraphQLError(err);
      }
    };
  const out: Record<string, unknown> = {};
  for (const [typeName, fields] of Object.entries(resolvers)) {
    if (typeof fields !== 'object' || fields === null || !Object.getPrototypeOf(fields) || Object.getPrototypeOf(fields) !== Object.prototype) {
      out[typeName] = fields; // scalars
      continue;
    }
    out[typeName] = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'function' ? wrap(v as never) : v]));
  }
  return out as T;
}
