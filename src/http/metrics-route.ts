import type { IncomingMessage, ServerResponse } from 'node:http';
import { mayReadMetrics } from '../auth/principal';
import type { Services } from '../graphql/context';
import { sendErrorCode } from './respond';

/**
 * GET /metrics in Prometheus's text format. Open in development; in production the scraper needs
 * a credential with the `metrics` scope (or `router`, `admin`): Prometheus sends API keys and
 * bearer tokens as configured in its scrape job. Queue depths and error rates are for operators.
 */
export async function serveMetrics(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (services.config.NODE_ENV === 'production') {
    const principal = await services.auth.authenticate(req.headers).catch(() => null);
    if (!principal) return sendErrorCode(res, 'UNAUTHENTICATED', 'Metrics need a credential with the metrics scope (x-api-key, or authorization: Bearer).');
    if (!mayReadMetrics(principal))
      return sendErrorCode(res, 'FORBIDDEN', 'This credential may not read metrics (it needs the metrics, router or admin scope).');
  }
  const text = await services.metrics.registry.metrics();
  res.writeHead(200, { 'content-type': services.metrics.registry.contentType, 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : text);
}
