import type { IncomingMessage } from 'node:http';

/**
 * Apollo's CSRF prevention, applied before the multipart body is parsed. Multipart POSTs are
 * "simple" requests a browser sends cross-site without a preflight; Apollo refuses them unless
 * they carry `apollo-require-preflight` or `x-apollo-operation-name`, but only after the upload
 * parser has already read (and buffered) the files. Refusing here costs nothing.
 */
export function blockedAsCsrf(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  return req.method === 'POST' && type.startsWith('multipart/form-data') && !req.headers['apollo-require-preflight'] && !req.headers['x-apollo-operation-name'];
}

export const CSRF_MESSAGE = "This multipart request was blocked as a potential Cross-Site Request Forgery. Add the header 'apollo-require-preflight: true'.";
