import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { DetectionService } from '../detection/detection-service';
import { isDetectionId } from '../detection/detection-id';
import { renderHeatGrid } from '../engine/heatmap';
import { picturePath, PICTURE_FILES, type PictureKind } from '../masks/mask-paths';
import type { MaskSigner } from '../masks/mask-signer';
import { renderOverlay } from '../masks/overlay';
import { sendErrorCode } from './respond';
import { refusedSignature, sendSignedFile } from './signed-files';

/**
 * GET /pictures/<id>/heatmap.png and overlay.jpg: drawn from the cached result when asked for
 * (only the anomaly map and a preview are stored), behind the same signed, expiring URLs as
 * masks, with the same answers: 403 for a bad or expired signature, 404 once evicted.
 */
export function pictureRoute(signer: MaskSigner, detections: DetectionService) {
  return async (params: { id: string; kind: PictureKind; query: URLSearchParams }, res: ServerResponse, log: Logger): Promise<void> => {
    const { id, kind, query } = params;
    if (refusedSignature(signer, { path: picturePath(id, kind), query, what: 'picture' }, res, log)) return;
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
    sendSignedFile(res, body, PICTURE_FILES[kind].contentType, query);
  };
}
