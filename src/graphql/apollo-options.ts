import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { GraphQLContext } from './context';
import { errorStatusPlugin, formatError } from './errors';
import { queryLimits } from './query-limits';
import { buildSchema } from './schema';
import { schemaAccess } from './schema-access';

/**
 * Apollo Server as the gateway runs it, minus what belongs to HTTP (draining the server, the
 * landing page): the schema, document limits, who may see the schema, and how errors are
 * formatted and turned into statuses. Tests that run operations in process use the same options,
 * so they see the errors clients see.
 */
export function apolloOptions(config: Config, log: Logger, plugins: ApolloServerPlugin<GraphQLContext>[] = []): ApolloServerOptions<GraphQLContext> {
  const limits = queryLimits(config);
  return {
    schema: buildSchema(),
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    csrfPrevention: true,
    // Introspection is served to the router and admin scopes (schema-access), in production too.
    introspection: true,
    includeStacktraceInErrorResponses: config.NODE_ENV !== 'production',
    formatError: formatError(log, config.NODE_ENV === 'production'),
    // The gateway owns SIGTERM (main.ts). Apollo's own handler, on outside tests, raced it: the
    // gateway's stop() then waited on a second apollo.stop() that never resolved, and with Redis
    // connected the process never exited.
    stopOnTerminationSignals: false,
    // No field carries a cache hint and detections are POSTed mutations, so the cache-control
    // plugin's per-field hook (on by default) only cost time on every field of every response.
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      ...limits.plugins,
      schemaAccess(config.GRAPHIQL),
      errorStatusPlugin,
      ...plugins,
    ],
  };
}
