import type { NextFunction, Request, Response } from 'express';

/**
 * Apollo's CSRF prevention, applied before the multipart body is parsed. Multipart POSTs are
 * "simple" requests a browser sends cross-site without a preflight; Apollo refuses them unless
 * they carry `apollo-require-preflight` or `x-apollo-operation-name`, but only after the upload
 * middleware has already read (and buffered) the files. Refusing here costs nothing.
 */
export function requirePreflight(req: Request, res: Response, next: NextFunction): void {
  const type = req.headers['content-type'] ?? '';
  if (req.method === 'POST' && type.toLowerCase().startsWith('multipart/form-data') && !req.headers['apollo-require-preflight'] && !req.headers['x-apollo-operation-name']) {
    res.status(400).json({
      errors: [
        {
          message: "This multipart request was blocked as a potential Cross-Site Request Forgery. Add the header 'apollo-require-preflight: true'.",
          extensions: { code: 'BAD_REQUEST' },
        },
      ],
    });
    return;
  }
  next();
}
