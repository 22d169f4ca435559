import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import bodyParser from 'body-parser';
import { processRequest } from 'graphql-upload-minimal';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { createContext, type GraphQLContext, type Services } from '../graphql/context';
import { toGraphQLError } from '../graphql/errors';
import { CSRF_MESSAGE, blockedAsCsrf } from './require-preflight';
import { sendErrorCode } from './respond';

const parseJson = bodyParser.json({ limit: '1mb' });

function readJsonBody(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  return new Promise((resolve, reject) =>
    parseJson(req as never, res as never, (err?: unknown) => (err ? reject(err) : resolve((req as { body?: unknown }).body))),
  );
}

/**
 * /graphql on plain node:http: the CSRF check, then the body (multipart through
 * graphql-upload-minimal with its size and count limits, JSON through body-parser), then
 * Apollo's own HTTP handling. Express was dropped here: on this kind of machine the same upload
 * mutation answered 1465 req/s on node:http against 929 behind Express.
 */
export function graphqlHandler(apollo: ApolloServer<GraphQLContext>, services: Services) {
  const { config } = services;
  return async (req: IncomingMessage, res: ServerResponse, search: string, log: Logger): Promise<void> => {
    if (blockedAsCsrf(req)) return sendErrorCode(res, 'BAD_REQUEST', CSRF_MESSAGE);
    let body: unknown;
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    try {
      if (req.method === 'POST' && type.startsWith('multipart/form-data')) {
        body = await processRequest(req, res, { maxFileSize: config.MAX_UPLOAD_BYTES, maxFiles: config.MAX_UPLOAD_FILES });
      } else if (req.method === 'POST') {
        body = await readJsonBody(req, res);
      }
    } catch (err) {
      // Upload limit and malformed-body errors carry their HTTP status; answer them as JSON.
      const e = err as { status?: number; statusCode?: number; message?: string };
      const status = e.status ?? e.statusCode ?? 400;
      if (status >= 500) log.error({ err }, 'failed to read a GraphQL request body');
      if (status >= 500) return sendErrorCode(res, 'INTERNAL_SERVER_ERROR');
      return sendErrorCode(res, status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', e.message);
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const abort = new AbortController();
    // A client that goes away stops waiting (the shared detection still finishes and is cached).
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const baseUrl = `http://${req.headers.host ?? `localhost:${config.PORT}`}`;
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search, body },
      context: async () => {
        // A GraphQLError with an HTTP status is Apollo's way to refuse a request from here.
        let principal;
        try {
          principal = await services.auth.authenticate(req.headers);
        } catch (err) {
          throw toGraphQLError(err);
        }
        if (!principal)
          throw toGraphQLError(new AppError('UNAUTHENTICATED', 'This gateway needs a credential: an x-api-key header, or authorization: Bearer <token>.'));
        return createContext(services, { baseUrl, principal, log, signal: abort.signal, bytesReceived: () => req.socket.bytesRead });
      },
    });
    for (const [key, value] of result.headers) res.setHeader(key, value);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
