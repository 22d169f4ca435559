import type { Request, Response } from 'express';
import type { Services } from '../graphql/context';

/** Liveness: the process answers. */
export function healthz(_req: Request, res: Response): void {
  res.json({ status: 'ok' });
}

/**
 * Readiness: the backend can take work and the cache answers. A Redis outage makes the cache
 * "degraded", not the gateway unready: requests still succeed, only slower.
 */
export function readyz(services: Services) {
  return async (_req: Request, res: Response): Promise<void> => {
    const [backend, cacheOk] = await Promise.all([services.detections.backend.ready().catch((err: Error) => ({ ok: false, detail: err.message })), services.detections.cache.ping()]);
    const body = {
      status: backend.ok ? (cacheOk ? 'ready' : 'degraded') : 'unavailable',
      backend: { id: services.detections.backend.id, ...backend },
      cache: { kind: services.detections.cache.kind, ok: cacheOk },
    };
    res.status(backend.ok ? 200 : 503).json(body);
  };
}
