import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateModelCommand, CreateProjectCommand } from '@aws-sdk/client-lookoutvision';
import sharp from 'sharp';
import { client, createTrainDataset, LFV_ACCESS_KEYS, writeS3Dataset } from '../compat/helpers';
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
  const images = await Promise.all(
    [1, 2, 3].map((seed) =>
      sharp({
        create: { width: 2400, height: 2400, channels: 3, background: { r: seed * 40, g: 90, b: 60 }, noise: { type: 'gaussian', mean: 120, sigma: 30 } },
      })
        .png({ compressionLevel: 1 })
        .toBuffer(),
    ),
  );
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

test('in production with Redis and three trainings queued, SIGTERM still exits; a second process on the folder is refused meanwhile', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lookout-term-'));
  try {
    const env = {
      NODE_ENV: 'production',
      PUBLIC_BASE_URL: 'https://lookout.example',
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      CACHE_KEY_PREFIX: `term-${process.pid}:`,
      DATA_DIR: join(dir, 'data'),
      LFV_ACCESS_KEYS,
      S3_BUCKETS: `term-bucket=${join(dir, 'bucket')}`,
    };
    const key = await writeS3Dataset(join(dir, 'bucket'), 'term-bucket', 'rolls', 30, 4);
    const g = await spawnGateway(env);
    child = g.child;
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const lfv = client(g.url);
    await lfv.send(new CreateProjectCommand({ ProjectName: 'rolls' }));
    await createTrainDataset(lfv, 'rolls', 'term-bucket', key);
    for (let i = 0; i < 3; i++) await lfv.send(new CreateModelCommand({ ProjectName: 'rolls', OutputConfig: { S3Location: { Bucket: 'term-out' } } }));
    lfv.destroy();

    // The replacement that starts too early is turned away, and says why.
    const second = spawn(process.execPath, [join(__dirname, '..', '..', 'dist', 'main.js')], {
      env: { ...process.env, ...env, PORT: '0', DEMO_MODEL: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let said = '';
    second.stderr!.on('data', (d) => (said += d));
    expect(await new Promise((r) => second.on('exit', r))).toBe(1);
    expect(said).toMatch(/Another gateway process holds DATA_DIR/);

    child.kill('SIGTERM');
    // Apollo's own signal handler once raced the gateway's, and Redis then kept the process alive for good.
    expect(await exited).toBe(0);
    for (const v of ['1', '2', '3']) {
      const onDisk = JSON.parse(await readFile(join(env.DATA_DIR, 'projects', 'rolls', 'models', `${v}.json`), 'utf8'));
      expect(onDisk.status).toBe('TRAINING');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
