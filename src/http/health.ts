import type { ServerResponse } from 'node:http';
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
export async function readyz(services: Services, res: ServerResponse): Promise<void> {
  const [backend, cacheOk] = await Promise.all([services.detections.backend.ready().catch((err: Error) => ({ ok: false, detail: err.message })), services.detections.cache.ping()]);
  sendJson(res, backend.ok ? 200 : 503, {
    status: backend.ok ? (cacheOk ? 'ready' : 'degraded') : 'unavailable',
    backend: { id: services.detections.backend.id, ...backend },
    cache: { kind: services.detections.cache.kind, ok: cacheOk },
  });
}
