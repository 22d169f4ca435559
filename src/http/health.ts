import type { IncomingMessage, ServerResponse } from 'node:http';
import { isOperator } from '../auth/principal';
import type { Services } from '../graphql/context';
import { sendJson } from './respond';

/** Liveness: the process answers. */
export function healthz(res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok' });
}

/**
 * Readiness: the backend can take work and the cache answers. A Redis outage makes the cache
 * "degraded", not the gateway unready: requests still succeed, only slower.
 */
export async function readyz(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const [backend, cacheOk] = await Promise.all([
    services.detections.backend.ready().catch((err: Error) => ({ ok: false, detail: err.message })),
    services.detections.cache.ping(),
  ]);
  const status = backend.ok ? (cacheOk ? 'ready' : 'degraded') : 'unavailable';
  // The status is for any probe; what is behind it (queue depths, failing storage) is for operators.
  if (!(await detailsAllowed(services, req))) return sendJson(res, backend.ok ? 200 : 503, { status });
  sendJson(res, backend.ok ? 200 : 503, {
    status,
    backend: { id: services.detections.backend.id, ...backend },
    cache: { kind: services.detections.cache.kind, ok: cacheOk },
    // Backend calls this replica made since start: with the cache, how much work it really did.
    detections: { backendCalls: services.detections.backendCalls },
  });
}

async function detailsAllowed(services: Services, req: IncomingMessage): Promise<boolean> {
  if (services.config.NODE_ENV !== 'production') return true;
  return isOperator(await services.auth.authenticate(req.headers).catch(() => null));
}
