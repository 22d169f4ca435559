import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { sendErrorCode } from './respond';

/**
 * The web page at `/` (web/, built into dist/web by `npm run build`): three files from the
 * package, read once, never anything from a CDN. A strict Content-Security-Policy keeps the page
 * to its own scripts; pictures may come from PUBLIC_BASE_URL when that is another origin.
 */
const DIR = join(__dirname, '..', '..', 'dist', 'web');

const FILES: Record<string, { file: string; type: string; cache: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8', cache: 'no-cache' },
  '/app/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8', cache: 'public, max-age=300' },
  '/app/app.css': { file: 'app.css', type: 'text/css; charset=utf-8', cache: 'public, max-age=300' },
};

export function webPage(publicBaseUrl: string | undefined) {
  const loaded = new Map<string, Buffer>();
  const read = (path: string): Buffer | null => {
    const entry = FILES[path];
    if (!entry) return null;
    let body = loaded.get(path);
    if (!body) {
      try {
        body = readFileSync(join(DIR, entry.file));
      } catch {
        return null;
      }
      loaded.set(path, body);
    }
    return body;
  };
  const pictures = publicBaseUrl ? ` ${new URL(publicBaseUrl).origin}` : '';
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' blob: data:${pictures}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

  /** True when `path` is the page's; false to let the next route answer. */
  return (path: string, method: string, res: ServerResponse): boolean => {
    if (!(path in FILES)) return false;
    const body = read(path);
    if (!body) {
      sendErrorCode(res, 'NOT_FOUND', 'The web page is not built: run `npm run build`.');
      return true;
    }
    const { type, cache } = FILES[path];
    res.writeHead(200, {
      'content-type': type,
      'content-length': body.length,
      'cache-control': cache,
      'x-content-type-options': 'nosniff',
      ...(path === '/' ? { 'content-security-policy': csp, 'referrer-policy': 'no-referrer' } : {}),
    });
    res.end(method === 'HEAD' ? undefined : body);
    return true;
  };
}
