import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { defectFor, png, textureRgb } from '../helpers/images';
import { copyOfDataDir, dataDirWithDemoModel, detect, startGateway, type Running } from './helpers';

/**
 * /metrics as Prometheus scrapes it: the figures move with what the gateway did (requests by
 * root field and outcome, cached and engine detections, the hit ratio, upload bytes by route,
 * Redis errors), and production keeps them for credentials with the metrics scope.
 */

let data: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  data = await dataDirWithDemoModel();
}, 60_000);

afterAll(() => data?.cleanup());

async function scrape(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/metrics`, { headers });
  const text = await res.text();
  const value = (series: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  return { status: res.status, type: res.headers.get('content-type'), text, value };
}

describe('a development gateway', () => {
  let gw: Running;
  beforeAll(async () => {
    gw = await startGateway(data.path);
  });
  afterAll(() => gw?.stop());

  test('figures follow detections, errors and uploads', async () => {
    const image = await png(textureRgb(8080, [defectFor(2)]));
    expect((await detect(gw.url, image)).body.data.detectAnomalies.cached).toBe(false);
    expect((await detect(gw.url, image)).body.data.detectAnomalies.cached).toBe(true);
    expect((await detect(gw.url, Buffer.from('not an image'), { type: 'image/png' })).body.errors[0].extensions.code).toBe('INVALID_IMAGE');
    const created = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `mutation($i: CreateImageUploadInput!) { createImageUpload(input: $i) { uploadUrl } }`,
        variables: { i: { projectName: 'demo', contentType: 'image/png', byteLength: image.length } },
      }),
    });
    const { uploadUrl } = ((await created.json()) as any).data.createImageUpload;
    expect((await fetch(uploadUrl, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: new Uint8Array(image) })).status).toBe(200);

    const m = await scrape(gw.url);
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.value('lookout_graphql_requests_total{operation="mutation detectAnomalies",outcome="ok"}')).toBe(2);
    expect(m.value('lookout_graphql_requests_total{operation="mutation detectAnomalies",outcome="INVALID_IMAGE"}')).toBe(1);
    expect(m.value('lookout_graphql_requests_total{operation="mutation createImageUpload",outcome="ok"}')).toBe(1);
    expect(m.value('lookout_detection_duration_seconds_count{source="engine"}')).toBe(1);
    expect(m.value('lookout_detection_duration_seconds_count{source="cache"}')).toBe(1);
    expect(m.value('lookout_cache_hit_ratio')).toBe(0.5);
    expect(m.value('lookout_upload_bytes_total{route="multipart"}')).toBe(2 * image.length + 'not an image'.length);
    expect(m.value('lookout_upload_bytes_total{route="put"}')).toBe(image.length);
    expect(m.value('lookout_engine_queue_depth')).toBe(0);
    expect(m.value('lookout_trainings_active')).toBe(0);
    expect(m.text).toContain('lookout_process_resident_memory_bytes');
  });

  test('an invalid document is counted without its made-up field names', async () => {
    await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ noSuchField123 }' }),
    });
    const m = await scrape(gw.url);
    expect(m.value('lookout_graphql_requests_total{operation="invalid",outcome="GRAPHQL_VALIDATION_FAILED"}')).toBe(1);
    expect(m.text).not.toContain('noSuchField123');
  });
});

test('Redis failures are counted', async () => {
  // A port nobody listens on: every Redis command and reconnect fails.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const copy = await copyOfDataDir(data.path);
  const gw = await startGateway(copy.path, { REDIS_URL: `redis://127.0.0.1:${port}` });
  try {
    expect((await detect(gw.url, await png(textureRgb(8081, [])))).body.data.detectAnomalies.isAnomalous).toBe(false);
    expect((await scrape(gw.url)).value('lookout_redis_errors_total')).toBeGreaterThan(0);
  } finally {
    await gw.stop();
    await copy.cleanup();
  }
});

test('in production, metrics need the metrics scope', async () => {
  const keys = { scraper: randomBytes(24).toString('hex'), line: randomBytes(24).toString('hex') };
  const copy = await copyOfDataDir(data.path);
  const gw = await startGateway(copy.path, {
    NODE_ENV: 'production',
    PUBLIC_BASE_URL: 'http://127.0.0.1:1',
    MASK_URL_KEYS: `k1:${randomBytes(24).toString('hex')}`,
    API_KEYS: `prometheus:${keys.scraper}:metrics,line:${keys.line}:detect:demo`,
  });
  try {
    expect((await scrape(gw.url)).status).toBe(401);
    expect((await scrape(gw.url, { 'x-api-key': keys.line })).status).toBe(403);
    const ok = await scrape(gw.url, { 'x-api-key': keys.scraper });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('lookout_cache_hit_ratio');
  } finally {
    await gw.stop();
    await copy.cleanup();
  }
});
