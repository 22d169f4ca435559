import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { MaskSigner, SignedMethod } from '../masks/mask-signer';
import { sendErrorCode } from './respond';

/**
 * What every signed URL route (masks, pictures, upload PUTs) does alike: the signature first,
 * with one answer (403) for every kind of bad signature and only expiry told apart; then, for
 * files, the same headers.
 */
export function refusedSignature(
  signer: MaskSigner,
  target: { path: string; query: URLSearchParams; method?: SignedMethod; what: string },
  res: ServerResponse,
  log: Logger,
): boolean {
  const { path, query, method = 'GET', what } = target;
  const verdict = signer.verify(path, { exp: query.get('exp') ?? undefined, kid: query.get('kid') ?? undefined, sig: query.get('sig') ?? undefined }, method);
  if (verdict.ok) return false;
  log.info({ path, reason: verdict.reason }, `${what} URL refused`);
  sendErrorCode(res, 'FORBIDDEN', verdict.reason === 'expired' ? `This ${what} URL has expired.` : `This ${what} URL is not valid.`);
  return true;
}

/** A picture behind a signed URL: cacheable by the browser until the URL expires, drawable by any origin. */
export function sendSignedFile(res: ServerResponse, body: Buffer, contentType: string, query: URLSearchParams): void {
  const maxAge = Math.max(0, Number(query.get('exp')) - Math.floor(Date.now() / 1000));
  res.writeHead(200, {
    'content-type': contentType,
    'content-length': body.length,
    'cache-control': `private, max-age=${maxAge}`,
    'x-content-type-options': 'nosniff',
    // The URL is the credential; a page on another origin may draw the picture on a canvas.
    'access-control-allow-origin': '*',
  });
  res.end(body);
}
