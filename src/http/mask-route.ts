import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendErrorCode } from './respond';
import type { DetectionService } from '../detection/detection-service';
import { isDetectionId } from '../detection/detection-id';
import { singleTypeMask } from '../masks/mask-filter';
import { maskPath } from '../masks/mask-paths';
import type { MaskSigner } from '../masks/mask-signer';

/**
 * GET /masks/<id>/<name>.png. Signature first (403 for anything tampered with or expired, and the
 * same answer for every kind of bad signature), then the bytes from the cache (404 once evicted:
 * the result must be requested again).
 */
export function maskRoute(signer: MaskSigner, detections: DetectionService) {
  return async (params: { id: string; name: string; query: URLSearchParams }, res: ServerResponse, log: Logger): Promise<void> => {
    const { id, name, query } = params;
    const path = maskPath(id, name);
    const verdict = signer.verify(path, { exp: query.get('exp') ?? undefined, kid: query.get('kid') ?? undefined, sig: query.get('sig') ?? undefined });
    if (!verdict.ok) {
      log.info({ path, reason: verdict.reason }, 'mask URL refused');
      return sendErrorCode(res, 'FORBIDDEN', verdict.reason === 'expired' ? 'This mask URL has expired.' : 'This mask URL is not valid.');
    }
    const gone = () => sendErrorCode(res, 'NOT_FOUND', 'This mask is no longer cached; run the detection again for a fresh URL.');
    if (!isDetectionId(id)) return gone();
    const detection = await detections.get(id);
    const combined = detection?.mask ? await detections.mask(id) : null;
    if (!detection || !combined) return gone();
    let body = combined;
    if (name !== 'all') {
      const type = detection.anomalies?.find((a) => a.name === name && a.name !== 'background');
      if (!type) return gone();
      body = await singleTypeMask(combined, type.color);
    }
    const maxAge = Math.max(0, Number(query.get('exp')) - Math.floor(Date.now() / 1000));
    res.writeHead(200, {
      'content-type': 'image/png',
      'content-length': body.length,
      'cache-control': `private, max-age=${maxAge}`,
      'x-content-type-options': 'nosniff',
      // The URL is the credential; a page on another origin may draw the picture on a canvas.
      'access-control-allow-origin': '*',
    });
    res.end(body);
  };
}
