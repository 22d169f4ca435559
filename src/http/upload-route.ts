import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { isAppError } from '../errors';
import type { Services } from '../graphql/context';
import { uploadPath } from '../masks/mask-paths';
import { sendError, sendErrorCode } from './respond';
import { refusedSignature } from './signed-files';

/**
 * PUT /uploads/<id>?exp&kid&sig: the bytes of an upload made with `createImageUpload`. The URL
 * is the capability (signed for PUT, expiring), as a presigned S3 URL is, so the route needs no
 * other credential and answers cross-origin PUTs from any front-end.
 */
export function uploadRoute(services: Services) {
  const { signer, uploads, uploadGate, config } = services;
  return async (req: IncomingMessage, res: ServerResponse, id: string, query: URLSearchParams, log: Logger): Promise<void> => {
    for (const [name, value] of Object.entries(CORS)) res.setHeader(name, value);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-max-age': '600' }).end();
      return;
    }
    if (req.method !== 'PUT')
      return sendErrorCode(res, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here; PUT the image's bytes.`, { allow: 'PUT, OPTIONS' });
    if (refusedSignature(signer, { path: uploadPath(id), query, method: 'PUT', what: 'upload' }, res, log)) {
      req.resume();
      return;
    }
    try {
      const received = await uploadGate.run(() =>
        uploads.receive(
          id,
          req,
          { contentType: req.headers['content-type'], contentLength: req.headers['content-length'] },
          { minBytesPerSecond: config.UPLOAD_MIN_BYTES_PER_SECOND, graceMs: 3000 },
        ),
      );
      services.metrics.uploadBytes.inc({ route: 'put' }, received.byteLength);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ uploadId: id, ...received }));
    } catch (err) {
      if (!isAppError(err)) throw err;
      // The rest of a refused body is drained, so the client reads the answer rather than a reset.
      if (!req.readableEnded) req.resume();
      sendError(res, err);
    }
  };
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'PUT, OPTIONS',
  'access-control-allow-headers': 'content-type',
};
