import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GRAPHIQL_ASSETS_PATH, graphiqlAssets, graphiqlLandingPage } from './http/graphiql';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { graphqlUploadExpress } from 'graphql-upload-minimal';
import { createContext, type GraphQLContext, type Services } from './graphql/context';
import { formatError } from './graphql/errors';
import { buildSchema } from './graphql/schema';
import { healthz, readyz } from './http/health';
import { jsonErrors } from './http/json-errors';
import { requestLog } from './http/request-log';
import { requirePreflight } from './http/require-preflight';
import { maskRoute } from './masks/mask-route';

export interface Gateway {
  apollo: ApolloServer<GraphQLContext>;
  httpServer: http.Server;
  services: Services;
  /** Listens (port 0 picks a free one) and resolves to the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** Stops taking connections, lets in-flight requests finish, then closes the services. */
  stop(): Promise<void>;
}

/**
 * One HTTP server, several entrances: /graphql (CSRF check -> upload limits -> Apollo),
 * /masks (signed mask URLs), /healthz and /readyz.
 */
export async function createGateway(services: Services & { close(): Promise<void> }): Promise<Gateway> {
  const { config, log } = services;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const apollo = new ApolloServer<GraphQLContext>({
    schema: buildSchema(),
    csrfPrevention: true,
    introspection: config.NODE_ENV !== 'production',
    includeStacktraceInErrorResponses: config.NODE_ENV !== 'production',
    formatError: formatError(log, config.NODE_ENV === 'production'),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginInlineTraceDisabled(),
      config.GRAPHIQL ? graphiqlLandingPage('/graphql') : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  app.use(requestLog(log));
  app.get('/healthz', healthz);
  app.get('/readyz', readyz(services));
  app.get('/masks/:id/:name.png', maskRoute(services.signer, services.detections, log));
  if (config.GRAPHIQL) app.use(GRAPHIQL_ASSETS_PATH, graphiqlAssets());
  // Order matters: the CSRF check must run before the upload parser reads any file.
  app.use(
    '/graphql',
    requirePreflight,
    graphqlUploadExpress({ maxFileSize: config.MAX_UPLOAD_BYTES, maxFiles: config.MAX_UPLOAD_FILES }),
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const abort = new AbortController();
        // A client that goes away stops waiting in the detector's queue.
        res.on('close', () => {
          if (!res.writableFinished) abort.abort();
        });
        return createContext(services, { baseUrl: `${req.protocol}://${req.get('host')}`, log: req.log, signal: abort.signal });
      },
    }),
  );
  app.use(jsonErrors(log));

  return {
    apollo,
    httpServer,
    services,
    listen: (port, host = config.HOST) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve((httpServer.address() as AddressInfo).port));
      }),
    async stop() {
      try {
        await apollo.stop(); // the drain plugin closes the server after in-flight requests finish
      } finally {
        await services.close();
      }
    },
  };
}
