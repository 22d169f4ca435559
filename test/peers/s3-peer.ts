import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

/**
 * A small S3-compatible object store on a real socket, speaking the REST API's path-style GET
 * and PUT with S3's XML errors, for testing the gateway's S3 client (@aws-sdk/client-s3) without
 * AWS. It refuses requests that are not SigV4-signed for the `s3` service.
 */
export interface S3Peer {
  url: string;
  objects: Map<string, Buffer>;
  requests: { method: string; path: string; authorization: string }[];
  close(): Promise<void>;
}

function xmlError(res: http.ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-amz-request-id': 'peer' });
  res.end(body);
}

export async function startS3Peer(): Promise<S3Peer> {
  const objects = new Map<string, Buffer>();
  const requests: S3Peer['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://peer');
      const path = decodeURIComponent(url.pathname).replace(/^\//, '');
      const authorization = String(req.headers.authorization ?? '');
      requests.push({ method: req.method ?? '', path, authorization });
      if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/s3\/aws4_request, SignedHeaders=.+, Signature=[0-9a-f]{64}$/.test(authorization)) {
        return xmlError(res, 403, 'AccessDenied', 'Requests must be signed (SigV4, service s3).');
      }
      if (req.method === 'GET') {
        const body = objects.get(path);
        if (!body) return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': body.length,
          etag: `"${createHash('md5').update(body).digest('hex')}"`,
        });
        return res.end(body);
      }
      if (req.method === 'PUT') {
        const body = Buffer.concat(chunks);
        objects.set(path, body);
        res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"`, 'content-length': 0 });
        return res.end();
      }
      xmlError(res, 405, 'MethodNotAllowed', 'Only GET and PUT.');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
