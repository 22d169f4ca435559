import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { DetectionService } from '../detection/detection-service';
import { isDetectionId } from '../detection/detection-id';
import { renderHeatGrid } from '../engine/heatmap';
import { picturePath, PICTURE_FILES, type PictureKind } from '../masks/mask-paths';
import type { MaskSigner } from '../masks/mask-signer';
import { renderOverlay } from '../masks/overlay';
import { sendErrorCode } from './respond';

/**
 * GET /pictures/<id>/heatmap.png and overlay.jpg: drawn from the cached result when asked for
 * (only the anomaly map and a preview are stored), behind the same signed, expiring URLs as
 * masks, with the same answers: 403 for a bad or expired signature, 404 once evicted.
 */
export function pictureRoute(signer: MaskSigner, detections: DetectionService) {
  return async (params: { id: string; kind: PictureKind; query: URLSearchParams }, res: ServerResponse, log: Logger): Promise<void> => {
    const { id, kind, query } = params;
    const path = picturePath(id, kind);
    const verdict = signer.verify(path, { exp: query.get('exp') ?? undefined, kid: query.get('kid') ?? undefined, sig: query.get('sig') ?? undefined });
    if (!verdict.ok) {
      log.info({ path, reason: verdict.reason }, 'picture URL refused');
      return sendErrorCode(res, 'FORBIDDEN', verdict.reason === 'expired' ? 'This picture URL has expired.' : 'This picture URL is not valid.');
    }
    const gone = () => sendErrorCode(res, 'NOT_FOUND', 'This picture is no longer cached; run the detection again for a fresh URL.');
    const detection = isDetectionId(id) ? await detections.get(id) : null;
    if (!detection) return gone();
    let body: Buffer;
    if (kind === 'heatmap') {
      if (!detection.heat) return gone();
      body = await renderHeatGrid(detection.heat);
    } else {
      const [preview, mask] = await Promise.all([detections.preview(id), detection.mask ? detections.mask(id) : null]);
      if (!preview || (detection.mask && !mask)) return gone();
      body = (await renderOverlay(preview, { mask, heat: detection.heat ?? null })).jpeg;
    }
    const maxAge = Math.max(0, Number(query.get('exp')) - Math.floor(Date.now() / 1000));
    res.writeHead(200, {
      'content-type': PICTURE_FILES[kind].contentType,
      'content-length': body.length,
      'cache-control': `private, max-age=${maxAge}`,
      'x-content-type-options': 'nosniff',
      // The URL is the credential; a page on another origin may draw the picture on a canvas.
      'access-control-allow-origin': '*',
    });
    res.end(body);
  };
}
