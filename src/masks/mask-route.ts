import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { DetectionService } from '../detection/detection-service';
import { isDetectionId } from '../detection/detection-id';
import { singleTypeMask } from './mask-filter';
import { maskPath } from './mask-paths';
import type { MaskSigner } from './mask-signer';

/**
 * GET /masks/:id/:name.png. Signature first (403 for anything tampered with or expired, and the
 * same answer for every kind of bad signature), then the bytes from the cache (404 once evicted:
 * the result must be requested again).
 */
export function maskRoute(signer: MaskSigner, detections: DetectionService, log: Logger) {
  return async (req: Request, res: Response): Promise<void> => {
    const id = String(req.params.id);
    const name = String(req.params.name);
    const path = maskPath(id, name);
    const verdict = signer.verify(path, req.query as Record<string, unknown>);
    if (!verdict.ok) {
      log.info({ path, reason: verdict.reason }, 'mask URL refused');
      res.status(403).json({ error: { code: 'FORBIDDEN', message: verdict.reason === 'expired' ? 'This mask URL has expired.' : 'This mask URL is not valid.' } });
      return;
    }
    const gone = () => res.status(404).json({ error: { code: 'NOT_FOUND', message: 'This mask is no longer cached; run the detection again for a fresh URL.' } });
    if (!isDetectionId(id)) return void gone();
    const detection = await detections.get(id);
    const combined = detection?.mask ? await detections.mask(id) : null;
    if (!detection || !combined) return void gone();
    let body = combined;
    if (name !== 'all') {
      const type = detection.anomalies?.find((a) => a.name === name && a.name !== 'background');
      if (!type) return void gone();
      body = await singleTypeMask(combined, type.color);
    }
    const maxAge = Math.max(0, Number(req.query.exp) - Math.floor(Date.now() / 1000));
    res.set({ 'Content-Type': 'image/png', 'Cache-Control': `private, max-age=${maxAge}`, 'X-Content-Type-Options': 'nosniff' }).send(body);
  };
}
