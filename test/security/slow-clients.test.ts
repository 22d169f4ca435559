import { connect, type Socket } from 'node:net';
import { png, textureRgb } from '../helpers/images';
import { dataDirWithDemoModel, detect, DETECT, startGateway, type Running } from '../gateway/helpers';

/**
 * Slow clients on a real socket: a client trickling its upload is dropped (REQUEST_TOO_SLOW) and
 * its upload slot freed for the next detection; one that never finishes its headers is cut off.
 * With UPLOAD_READ_CONCURRENCY=1, a held slot would block every other upload.
 */

let data: { path: string; cleanup: () => Promise<void> };
let gw: Running;
let port: number;

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  gw = await startGateway(data.path, { UPLOAD_READ_CONCURRENCY: '1', HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '20000' });
  port = Number(new URL(gw.url).port);
});

afterAll(async () => {
  await gw?.stop();
  await data?.cleanup();
});

/** A raw connection, so the test decides when each byte leaves. */
function open(): Promise<{ socket: Socket; reply: Promise<string> }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      let text = '';
      socket.on('data', (d) => (text += d));
      resolve({ socket, reply: new Promise((done) => socket.on('close', () => done(text))) });
    });
  });
}

test('a trickling upload fails with REQUEST_TOO_SLOW and frees its slot', async () => {
  const boundary = 'slowboundary';
  const image = await png(textureRgb(3));
  const head = [
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: DETECT, variables: { image: null, project: 'demo' } })}\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.image"]}\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
  ].join('');
  const length = Buffer.byteLength(head) + image.length + `\r\n--${boundary}--\r\n`.length;
  const { socket, reply } = await open();
  socket.write(
    `POST /graphql HTTP/1.1\r\nHost: x\r\napollo-require-preflight: true\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n${head}`,
  );
  // One byte every 300 ms: about 3 bytes a second, far below the 16 KiB/s floor.
  let sent = 0;
  const trickle = setInterval(() => {
    if (!socket.destroyed && sent < image.length) socket.write(image.subarray(sent, ++sent));
  }, 300);
  // Meanwhile a normal detection queues behind it for the single upload slot, and gets it.
  const normal = detect(gw.url, await png(textureRgb(4)));
  const first = await Promise.race([reply, new Promise<string>((r) => socket.once('data', (d) => r(String(d))))]);
  clearInterval(trickle);
  socket.destroy();
  expect(first).toMatch(/^HTTP\/1\.1 408/);
  expect(first).toContain('"code":"REQUEST_TOO_SLOW"');
  const ok = await normal;
  expect(ok.status).toBe(200);
  expect(ok.body.data.detectAnomalies.imageSha256).toMatch(/^[0-9a-f]{64}$/);
});

test('a client that never finishes its headers is cut off', async () => {
  const { socket, reply } = await open();
  socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  const text = await reply;
  expect(text).toMatch(/^HTTP\/1\.1 408/);
  expect(socket.destroyed).toBe(true);
});
