import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

/**
 * A request id (the caller's `x-request-id` when it sends a sane one) on a child logger that
 * follows the request through cache, lock and backend; one line per finished request.
 */
export function startRequestLog(log: Logger, req: IncomingMessage, res: ServerResponse, path: string): Logger {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
  res.setHeader('x-request-id', id);
  const child = log.child({ requestId: id });
  if (child.isLevelEnabled('info')) {
    const started = process.hrtime.bigint();
    res.on('finish', () => child.info({ method: req.method, path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request'));
  }
  return child;
}
