import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendErrorCode } from './respond';
import { refusedSignature, sendSignedFile } from './signed-files';
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
    if (refusedSignature(signer, { path: maskPath(id, name), query, what: 'mask' }, res, log)) return;
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
    sendSignedFile(res, body, 'image/png', query);
  };
}
