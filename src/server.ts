import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { apolloOptions } from './graphql/apollo-options';
import type { GraphQLContext, Services } from './graphql/context';
import { COMPAT_PREFIX, compatHandler, endpointMode, type EndpointMode } from './compat/compat-handler';
import { GRAPHIQL_ASSETS_PATH, graphiqlLandingPage, serveGraphiqlAsset } from './http/graphiql';
import { graphqlHandler } from './http/graphql-handler';
import { healthz, readyz } from './http/health';
import { serveMetrics } from './http/metrics-route';
import { metricsPlugin } from './graphql/metrics-plugin';
import { startRequestLog } from './http/request-log';
import { sendErrorCode } from './http/respond';
import { maskRoute } from './http/mask-route';
import { uploadRoute } from './http/upload-route';
import { pictureRoute } from './http/picture-route';
import { webPage } from './http/web-page';

export interface Gateway {
  apollo: ApolloServer<GraphQLContext>;
  httpServer: http.Server;
  /** The request handler the server runs, for driving it in process (tests, fuzzing). */
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  services: Services;
  /** Listens (port 0 picks a free one) and resolves to the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** Stops taking connections, lets in-flight requests finish, then closes the services. */
  stop(): Promise<void>;
}

const UPLOAD_PATH = /^\/uploads\/([A-Za-z0-9_-]{1,64})$/;
const PICTURE_PATH = /^\/pictures\/([A-Za-z0-9_-]{1,64})\/(heatmap\.png|overlay\.jpg)$/;
const MASK_PATH = /^\/masks\/([A-Za-z0-9_-]{1,64})\/([^/]{1,300})\.png$/;

/**
 * One HTTP server, several entrances: the web page at /, /graphql (CSRF check -> upload limits -> Apollo),
 * /2020-11-20/ (the Lookout for Vision protocol), /uploads (out-of-band image uploads, signed
 * PUT URLs), /masks and /pictures (signed URLs of masks, heat maps and overlays), /metrics (Prometheus), /healthz and
 * /readyz, and GraphiQL's assets.
 */
export async function createGateway(services: Services & { close(): Promise<void> }): Promise<Gateway> {
  const { config, log } = services;
  // Node's defaults let a client take 60 s over its headers and 300 s over its body, checked every
  // 30 s; a few slow clients could hold every connection. Checked every second here.
  const httpServer = http.createServer({
    headersTimeout: config.HEADERS_TIMEOUT_MS,
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: 1000,
  });
  const apollo = new ApolloServer<GraphQLContext>(
    apolloOptions(config, log, [
      // In-flight requests get most of the shutdown budget; then their connections are closed.
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: Math.round(config.SHUTDOWN_TIMEOUT_MS * 0.6) }),
      config.GRAPHIQL ? graphiqlLandingPage('/graphql') : ApolloServerPluginLandingPageDisabled(),
      metricsPlugin(services.metrics),
    ]),
  );
  await apollo.start();
  const graphql = graphqlHandler(apollo, services);
  const masks = maskRoute(services.signer, services.detections);
  const pictures = pictureRoute(services.signer, services.detections);
  const compat = compatHandler(services);
  const uploads = uploadRoute(services);
  const page = config.WEB_PAGE ? webPage(config.PUBLIC_BASE_URL) : null;
  announceEndpoint(endpointMode(services), log);

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const target = req.url ?? '/';
    const query = target.indexOf('?');
    // /graphql takes nearly every request; the WHATWG parse (with its normalising) is kept for the
    // other routes, where it cost ~15 us a request on the cached detection path.
    if ((query === -1 ? target : target.slice(0, query)) === '/graphql') {
      const reqLog = startRequestLog(log, req, res, '/graphql');
      graphql(req, res, query === -1 ? '' : target.slice(query), reqLog).catch((err: unknown) => failed(err, res, reqLog));
      return;
    }
    const url = new URL(target, 'http://gateway');
    const path = url.pathname;
    const reqLog = startRequestLog(log, req, res, path);
    const route = async (): Promise<void> => {
      if (path === '/graphql') return graphql(req, res, url.search, reqLog);
      if (path.startsWith(COMPAT_PREFIX)) return compat(req, res, url, reqLog);
      const upload = UPLOAD_PATH.exec(path);
      if (upload) return uploads(req, res, upload[1], url.searchParams, reqLog);
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return sendErrorCode(res, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here.`, { allow: 'GET, HEAD' });
      if (page?.(path, req.method ?? 'GET', res)) return;
      if (path === '/healthz') return healthz(res);
      if (path === '/readyz') return readyz(services, req, res);
      if (path === '/metrics') return serveMetrics(services, req, res);
      const picture = PICTURE_PATH.exec(path);
      if (picture) return pictures({ id: picture[1], kind: picture[2] === 'heatmap.png' ? 'heatmap' : 'overlay', query: url.searchParams }, res, reqLog);
      const mask = MASK_PATH.exec(path);
      if (mask) {
        let name: string;
        try {
          name = decodeURIComponent(mask[2]);
        } catch {
          return sendErrorCode(res, 'BAD_REQUEST', 'The mask name is not valid percent-encoding.');
        }
        return masks({ id: mask[1], name, query: url.searchParams }, res, reqLog);
      }
      if (config.GRAPHIQL && path.startsWith(`${GRAPHIQL_ASSETS_PATH}/`) && serveGraphiqlAsset(path.slice(GRAPHIQL_ASSETS_PATH.length + 1), res)) return;
      sendErrorCode(res, 'NOT_FOUND', `Nothing at ${path.slice(0, 200)}; GraphQL answers at /graphql.`);
    };
    route().catch((err: unknown) => failed(err, res, reqLog));
  };
  httpServer.on('request', handle);

  return {
    apollo,
    httpServer,
    handle,
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

function failed(err: unknown, res: http.ServerResponse, reqLog: Logger): void {
  reqLog.error({ err }, 'unexpected error');
  if (!res.headersSent) sendErrorCode(res, 'INTERNAL_SERVER_ERROR');
  else res.destroy();
}

/** Anonymous access is for a newcomer's first minutes; nobody should run it by accident. */
function announceEndpoint(mode: EndpointMode, log: Logger): void {
  if (!mode.on) log.warn(`Lookout for Vision endpoint ${COMPAT_PREFIX} is OFF: ${mode.why}`);
  else if (mode.anonymous) {
    log.warn(
      `Lookout for Vision endpoint ${COMPAT_PREFIX} is in ANONYMOUS mode: LFV_ACCESS_KEYS is not set, so any signature (or none) is accepted and anyone who reaches this port can create, train and delete models. Set LFV_ACCESS_KEYS=KEYID:secret before exposing it.`,
    );
  } else log.info(`Lookout for Vision endpoint ${COMPAT_PREFIX} verifies AWS Signature V4 against LFV_ACCESS_KEYS`);
}
