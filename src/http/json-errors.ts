import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

/**
 * Errors that escape middleware (the upload parser's "too many files" 413, malformed multipart,
 * a body that is not JSON) would reach Express' default handler, which answers with an HTML page
 * and, outside production, a stack trace. GraphQL clients expect JSON in GraphQL's error shape.
 */
export function jsonErrors(log: Logger) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    const e = err as { status?: number; statusCode?: number; expose?: boolean; message?: string };
    const status = e.status ?? e.statusCode ?? 500;
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    if (status >= 500) log.error({ err }, 'unexpected error in HTTP middleware');
    const message = status < 500 && e.message ? e.message : 'Unexpected error.';
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  };
}
