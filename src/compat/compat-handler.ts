import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import getRawBody from 'raw-body';
import { AppError } from '../errors';
import type { Services } from '../graphql/context';
import type { Operation, OperationRequest } from './operation';
import { datasetOperations } from './operations/datasets';
import { detectOperation } from './operations/detect';
import { modelOperations } from './operations/models';
import { projectOperations } from './operations/projects';
import { tagOperations } from './operations/tags';
import { check, clientToken } from './shapes';
import { verifySigV4 } from './sigv4';
import { sendAws, sendAwsError } from './wire';

export const COMPAT_PREFIX = '/2020-11-20/';

const OPERATIONS: Operation[] = [...projectOperations, ...datasetOperations, ...modelOperations, detectOperation, ...tagOperations];
/** JSON bodies of every operation but UpdateDatasetEntries are small. */
const DEFAULT_MAX_BODY = 1024 * 1024;
/** Operations that take `X-Amzn-Client-Token`, as the service model lists them. */
const TOKENED = new Set([
  'CreateProject',
  'DeleteProject',
  'CreateDataset',
  'DeleteDataset',
  'UpdateDatasetEntries',
  'CreateModel',
  'DeleteModel',
  'StartModel',
  'StopModel',
]);

export type EndpointMode = { on: true; anonymous: boolean } | { on: false; why: string };

/** Whether the endpoint serves, and as whom; start-up logs the answer loudly. */
export function endpointMode(services: Services): EndpointMode {
  const { config } = services;
  if (!services.projects) return { on: false, why: `BACKEND=${config.BACKEND}: the endpoint serves the embedded engine's projects only (BACKEND=local).` };
  if (config.LFV_ACCESS_KEYS) return { on: true, anonymous: false };
  if (config.NODE_ENV === 'production')
    return { on: false, why: 'NODE_ENV=production and LFV_ACCESS_KEYS is not set: anonymous access is refused in production.' };
  return { on: true, anonymous: true };
}

function route(method: string, path: string): { op: Operation; labels: Record<string, string> } | null {
  for (const op of OPERATIONS) {
    if (op.method !== method) continue;
    const m = op.path.exec(path);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.groups ?? {})) {
      try {
        labels[k] = decodeURIComponent(v);
      } catch {
        throw new AppError('BAD_USER_INPUT', `The path label ${k} is not valid percent-encoding.`);
      }
    }
    return { op, labels };
  }
  return null;
}

/**
 * The Lookout for Vision REST entrance: SigV4 check -> restJson1 decode -> the same services
 * GraphQL uses -> an AWS-shaped reply. The body is read (bounded) before the signature check,
 * because the signature covers it.
 */
export function compatHandler(services: Services) {
  const mode = endpointMode(services);
  const scope = { region: services.config.LFV_REGION, accountId: services.config.LFV_ACCOUNT_ID };
  return async (req: IncomingMessage, res: ServerResponse, url: URL, log: Logger): Promise<void> => {
    const requestId = String(res.getHeader('x-request-id'));
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    try {
      if (!mode.on) throw new AppError('ENDPOINT_DISABLED', `The Lookout for Vision endpoint is off. ${mode.why}`);
      const found = route(req.method ?? 'GET', url.pathname);
      if (!found) throw new AppError('UNKNOWN_OPERATION', `No operation answers ${req.method} ${url.pathname}.`);
      const { op, labels } = found;
      // Unsigned requests are turned away before their body is read (the rest needs the body).
      if (!mode.anonymous && !req.headers.authorization) throw new AppError('MISSING_AUTHENTICATION');
      const limit = op === detectOperation ? services.config.MAX_UPLOAD_BYTES : (op.maxBody ?? DEFAULT_MAX_BODY);
      const body = await readBody(req, limit, res);
      if (op === detectOperation) services.metrics.uploadBytes.inc({ route: 'lookoutvision' }, body.length);
      // Hashed once: the signature check, the detection's cache key and client tokens all use it.
      const bodySha256 = createHash('sha256').update(body).digest('hex');
      if (!mode.anonymous) {
        const path = (req.url ?? '/').split('?')[0];
        await verifySigV4(
          { method: req.method ?? 'GET', path, query: url.searchParams, headers: req.headers, body, bodySha256 },
          services.config.LFV_ACCESS_KEYS ?? [],
        );
      }
      const request: OperationRequest = {
        labels,
        query: url.searchParams,
        headers: req.headers,
        body,
        bodySha256,
        services,
        projects: services.projects!,
        scope,
        signal: abort.signal,
      };
      const run = async () => ({ status: op.status, body: await op.handle(request) });
      const rawToken = req.headers['x-amzn-client-token'];
      const token = TOKENED.has(op.name) && typeof rawToken === 'string' ? check(clientToken, rawToken, 'clientToken') : undefined;
      const params = { labels, body: bodySha256 };
      const resource = labels.modelVersion
        ? { type: 'MODEL', id: `${labels.projectName}/${labels.modelVersion}` }
        : labels.datasetType
          ? { type: 'DATASET', id: `${labels.projectName}/${labels.datasetType}` }
          : { type: 'PROJECT', id: labels.projectName ?? '' };
      const reply = await services.projects!.idempotency.run(op.name, token, params, resource, run);
      sendAws(res, requestId, reply.status, reply.body);
    } catch (err) {
      sendAwsError(res, requestId, err, log);
    }
  };
}

async function readBody(req: IncomingMessage, limit: number, res: ServerResponse): Promise<Buffer> {
  try {
    return await getRawBody(req, { limit });
  } catch (err) {
    // The rest of an oversized body is not read; the connection cannot be reused after it.
    res.setHeader('connection', 'close');
    if ((err as { type?: string }).type === 'entity.too.large')
      throw new AppError('BAD_USER_INPUT', `The request body is larger than ${limit} bytes.`, { maxBytes: limit });
    throw new AppError('BAD_USER_INPUT', 'The request body could not be read.');
  }
}
