import type { ChildProcess } from 'node:child_process';
import sharp from 'sharp';
import { dataDirWithDemoModel, detect, spawnGateway } from './helpers';

/**
 * `npm start`'s process: on SIGTERM it stops taking connections, finishes the requests it has,
 * and exits 0. Runs the build (dist/main.js), as production does.
 */

let data: { path: string; cleanup: () => Promise<void> };
let child: ChildProcess;

beforeAll(async () => {
  data = await dataDirWithDemoModel();
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await data?.cleanup();
});

test('SIGTERM drains in-flight detections, then exits 0', async () => {
  let url: string;
  ({ child, url } = await spawnGateway({ DATA_DIR: data.path, MAX_UPLOAD_BYTES: String(48 * 1024 * 1024) }));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));

  // Three large, distinct images: decoding and scoring them keeps the gateway busy for a while,
  // and the engine takes one at a time, so all three are in flight when SIGTERM arrives.
  const images = await Promise.all([1, 2, 3].map((seed) => sharp({ create: { width: 2400, height: 2400, channels: 3, background: { r: seed * 40, g: 90, b: 60 }, noise: { type: 'gaussian', mean: 120, sigma: 30 } } }).png({ compressionLevel: 1 }).toBuffer()));
  const inFlight = images.map((img) => detect(url, img));
  await new Promise((r) => setTimeout(r, 400));
  child.kill('SIGTERM');

  const results = await Promise.all(inFlight);
  for (const r of results) {
    expect(r.status).toBe(200);
    expect(typeof r.body.data.detectAnomalies.isAnomalous).toBe('boolean');
  }
  expect(await exited).toBe(0);
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
}, 60_000);
