/**
 * Baseline (b): plain node:http + busboy that reads the same multipart body and hashes the file,
 * with no GraphQL, no cache and no detector: the floor the gateway is compared against.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';

const server = http.createServer((req, res) => {
  const bb = busboy({ headers: req.headers, limits: { fileSize: 8 * 1024 * 1024, files: 1 } });
  let digest = '';
  bb.on('file', (_name, stream) => {
    const hash = createHash('sha256');
    stream.on('data', (d: Buffer) => hash.update(d));
    stream.on('end', () => (digest = hash.digest('hex')));
  });
  bb.on('close', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: { sha256: digest } }));
  });
  req.pipe(bb);
});

server.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
