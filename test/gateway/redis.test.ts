import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { defectFor, png, textureRgb } from '../helpers/images';
import { copyOfDataDir, dataDirWithDemoModel, detect, startGateway, type Running } from './helpers';

/**
 * The gateway with the real Redis: the shared one on 127.0.0.1:6379 (started by .ci/run) for
 * caching and single-flight across two instances, and a private redis-server that the test
 * stops mid-run to show that an outage only costs cache hits.
 */

const SHARED_REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
let data: { path: string; cleanup: () => Promise<void> };
// Replicas own their data folders; they share only Redis.
let second: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  second = await copyOfDataDir(data.path);
});

afterAll(async () => {
  await data?.cleanup();
  await second?.cleanup();
});

describe('two gateways on one Redis', () => {
  let a: Running;
  let b: Running;
  beforeAll(async () => {
    // A fresh prefix per run: the shared Redis may hold other runs' keys.
    const env = {
      REDIS_URL: SHARED_REDIS,
      CACHE_KEY_PREFIX: `test-${randomBytes(4).toString('hex')}:`,
      MASK_URL_KEYS: `k1:${randomBytes(24).toString('hex')}`,
    };
    a = await startGateway(data.path, env);
    b = await startGateway(second.path, env);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  const calls = () => a.gateway.services.detections.backendCalls + b.gateway.services.detections.backendCalls;

  test('a result cached by one is a hit on the other, and its mask URL works on both', async () => {
    const img = await png(textureRgb(2024, [defectFor(1)]));
    const first = (await detect(a.url, img)).body.data.detectAnomalies;
    const second = (await detect(b.url, img)).body.data.detectAnomalies;
    expect(first.cached).toBe(false);
    expect(second).toMatchObject({ id: first.id, cached: true });
    const path = new URL(first.anomalyMask.url);
    expect((await fetch(`${b.url}${path.pathname}${path.search}`)).status).toBe(200);
  });

  test('50 concurrent identical uploads spread over both make one backend call', async () => {
    const before = calls();
    const img = await png(textureRgb(2025, [defectFor(4)]));
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => detect(i % 2 ? a.url : b.url, img)));
    expect(new Set(results.map((r) => r.body.data.detectAnomalies.id)).size).toBe(1);
    expect(calls() - before).toBe(1);
  });

  test('readiness reports the Redis cache', async () => {
    expect(await (await fetch(`${a.url}/readyz`)).json()).toMatchObject({ status: 'ready', cache: { kind: 'redis', ok: true } });
  });
});

describe('Redis stopped mid-run', () => {
  let redis: ChildProcess;
  let gw: Running;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    gw = await startGateway(data.path, { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_COMMAND_TIMEOUT_MS: '100' });
    await waitFor(() => gw.gateway.services.detections.cache.ping(), 100);
  });

  afterAll(async () => {
    await gw?.stop().catch((err) => console.error('stop failed', err));
    if (redis && redis.exitCode === null) redis.kill('SIGKILL');
  });

  test('requests keep succeeding, only without cache hits', async () => {
    const img = await png(textureRgb(2026, [defectFor(6)]));
    expect((await detect(gw.url, img)).body.data.detectAnomalies.cached).toBe(false);
    expect((await detect(gw.url, img)).body.data.detectAnomalies.cached).toBe(true);

    redis.kill('SIGKILL');
    await new Promise((r) => redis.once('exit', r));
    const afterOutage = await detect(gw.url, img);
    expect(afterOutage.status).toBe(200);
    expect(afterOutage.body.data.detectAnomalies).toMatchObject({ isAnomalous: true, cached: false });
    const other = await detect(gw.url, await png(textureRgb(2027)));
    expect(other.body.data.detectAnomalies.isAnomalous).toBe(false);
    expect(await (await fetch(`${gw.url}/readyz`)).json()).toMatchObject({ status: 'degraded', cache: { kind: 'redis', ok: false } });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitFor(check: () => Promise<boolean>, tries: number): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not reached');
}
