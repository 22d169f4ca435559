import sharp from 'sharp';
import { png, textureRgb, defectFor } from '../helpers/images';
import { dataDirWithDemoModel, detect, multipart, postMultipart, startGateway, type Running } from './helpers';

/** The gateway over real HTTP (port 0), spoken to as clients do: multipart uploads with fetch. */

let data: { path: string; cleanup: () => Promise<void> };
let gw: Running;

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  gw = await startGateway(data.path, { MAX_UPLOAD_BYTES: String(200 * 1024), MAX_UPLOAD_FILES: '4', MASK_URL_TTL_SECONDS: '2' });
});

afterAll(async () => {
  await gw?.stop();
  await data?.cleanup();
});

const damaged = () => png(textureRgb(31337, [{ ...defectFor(2), r: 12 }]));

test('detectAnomalies: typed result, signed masks, then a cache hit with the same id', async () => {
  const bytes = await damaged();
  const first = await detect(gw.url, bytes);
  expect(first.status).toBe(200);
  const r = first.body.data.detectAnomalies;
  expect(r).toMatchObject({
    isAnomalous: true,
    cached: false,
    source: { type: 'direct' },
    model: { projectName: 'demo', version: '1', status: 'HOSTED', type: 'SEGMENTATION' },
  });
  expect(r.confidence).toBeGreaterThan(0.5);
  expect(r.anomalies[0]).toMatchObject({ name: 'background', mask: null });
  expect(r.anomalies[1]).toMatchObject({ name: 'cracked', pixelAnomaly: { color: '#23A436' } });
  expect(r.anomalyMask).toMatchObject({ width: 128, height: 128, contentType: 'image/png' });

  const mask = await fetch(r.anomalyMask.url);
  expect(mask.status).toBe(200);
  expect(mask.headers.get('content-type')).toBe('image/png');
  const meta = await sharp(Buffer.from(await mask.arrayBuffer())).metadata();
  expect([meta.width, meta.height]).toEqual([128, 128]);
  const typeMask = await fetch(r.anomalies[1].mask.url);
  expect(typeMask.status).toBe(200);

  const second = await detect(gw.url, bytes);
  expect(second.body.data.detectAnomalies).toMatchObject({ id: r.id, cached: true, isAnomalous: true });
  expect(gw.gateway.services.detections.backendCalls).toBe(1);

  const byId = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'query($id: ID!){ detection(id: $id) { id cached isAnomalous } }', variables: { id: r.id } }),
  });
  expect(((await byId.json()) as any).data.detection).toEqual({ id: r.id, cached: true, isAnomalous: true });
});

test('mask URLs: tampered or expired -> 403, unknown or evicted -> 404', async () => {
  const r = (await detect(gw.url, await png(textureRgb(4711, [defectFor(5)])))).body.data.detectAnomalies;
  const url = new URL(r.anomalyMask.url);
  const tamper = (k: string, v: string) => {
    const u = new URL(url);
    u.searchParams.set(k, v);
    return fetch(u).then((x) => x.status);
  };
  expect(await tamper('sig', 'A'.repeat(43))).toBe(403);
  expect(await tamper('exp', String(Number(url.searchParams.get('exp')) + 3600))).toBe(403);
  expect(await tamper('kid', 'other')).toBe(403);
  const otherPath = new URL(url);
  otherPath.pathname = otherPath.pathname.replace('all.png', 'cracked.png');
  expect((await fetch(otherPath)).status).toBe(403);
  // A validly signed URL for a detection the cache does not hold.
  const signer = gw.gateway.services.signer;
  const missing = `/masks/${'x'.repeat(43)}/all.png`;
  const res = await fetch(`${gw.url}${missing}?${signer.sign(missing, new Date(Date.now() + 60_000))}`);
  expect(res.status).toBe(404);
  expect(((await res.json()) as any).errors[0]).toMatchObject({ message: expect.stringMatching(/no longer cached/), extensions: { code: 'NOT_FOUND' } });
  await new Promise((r) => setTimeout(r, 2_100)); // MASK_URL_TTL_SECONDS is 2 here
  const expired = await fetch(url);
  expect(expired.status).toBe(403);
  expect(((await expired.json()) as any).errors[0]).toMatchObject({ message: expect.stringMatching(/expired/), extensions: { code: 'FORBIDDEN' } });
});

test.each([
  ['not an image', () => Promise.resolve(Buffer.from('definitely not an image')), 'image/png', 'INVALID_IMAGE'],
  [
    'a GIF',
    () =>
      sharp({ create: { width: 80, height: 80, channels: 3, background: '#000' } })
        .gif()
        .toBuffer(),
    'image/gif',
    'UNSUPPORTED_IMAGE_FORMAT',
  ],
  ['a PNG declared as JPEG', () => damaged(), 'image/jpeg', 'INVALID_IMAGE'],
  ['a truncated PNG', async () => (await damaged()).subarray(0, 2000), 'image/png', 'INVALID_IMAGE'],
  [
    'a 32 px image',
    () =>
      sharp({ create: { width: 32, height: 32, channels: 3, background: '#000' } })
        .png()
        .toBuffer(),
    'image/png',
    'IMAGE_DIMENSIONS_OUT_OF_RANGE',
  ],
  // 15000 x 15000 in a 1-bit palette: a few KB on the wire, 675 MB once decoded to RGB.
  [
    'a decompression bomb',
    () =>
      sharp({ create: { width: 15000, height: 15000, channels: 3, background: '#000' } })
        .png({ palette: true, colours: 2, compressionLevel: 9 })
        .toBuffer(),
    'image/png',
    'IMAGE_TOO_MANY_PIXELS',
  ],
  [
    'an oversized file',
    () =>
      sharp({ create: { width: 600, height: 600, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
        .png()
        .toBuffer(),
    'image/png',
    'PAYLOAD_TOO_LARGE',
  ],
])('%s is refused with a stable code', async (_name, make, type, code) => {
  const res = await detect(gw.url, await make(), { type });
  expect(res.body.errors[0].extensions.code).toBe(code);
  expect(res.body.data).toBeNull();
  expect(res.status).toBeGreaterThanOrEqual(400);
});

test('an unknown project or version is MODEL_NOT_FOUND (404)', async () => {
  const img = await damaged();
  const a = await detect(gw.url, img, { project: 'nope' });
  expect(a.status).toBe(404);
  expect(a.body.errors[0].extensions).toMatchObject({ code: 'MODEL_NOT_FOUND', projectName: 'nope' });
  const b = await detect(gw.url, img, { version: '99' });
  expect(b.body.errors[0].extensions.code).toBe('MODEL_NOT_FOUND');
});

test('multipart without the preflight header is refused before the body is read', async () => {
  const res = await detect(gw.url, await damaged(), { headers: {} });
  expect(res.status).toBe(400);
  expect(res.body.errors[0].message).toMatch(/Cross-Site Request Forgery/);
});

test('more files than MAX_UPLOAD_FILES answers JSON, not an HTML page', async () => {
  const img = await damaged();
  const files = Array.from({ length: 5 }, (_, i) => ({ path: `variables.input.images.${i}`, bytes: img }));
  const query = 'mutation($input: DetectAnomaliesBatchInput!){ detectAnomaliesBatch(input: $input) { index } }';
  const res = await postMultipart(gw.url, multipart(query, { input: { images: files.map(() => null), projectName: 'demo' } }, files));
  expect(res.status).toBe(413);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  expect(res.body.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
});

test('a batch lines results up with inputs, de-duplicates identical images and fails only the bad item', async () => {
  const before = gw.gateway.services.detections.backendCalls;
  const a = await png(textureRgb(555, [defectFor(7)]));
  const b = await png(textureRgb(556));
  const files = [a, Buffer.from('broken'), a, b].map((bytes, i) => ({ path: `variables.input.images.${i}`, bytes }));
  const query = 'mutation($input: DetectAnomaliesBatchInput!){ detectAnomaliesBatch(input: $input) { index result { id isAnomalous } error { code } } }';
  const res = await postMultipart(gw.url, multipart(query, { input: { images: files.map(() => null), projectName: 'demo' } }, files));
  const items = res.body.data.detectAnomaliesBatch;
  expect(items.map((i: { index: number }) => i.index)).toEqual([0, 1, 2, 3]);
  expect(items[1]).toMatchObject({ result: null, error: { code: 'INVALID_IMAGE' } });
  expect(items[0].result.id).toBe(items[2].result.id);
  expect(items[0].result.isAnomalous).toBe(true);
  expect(items[3].result.isAnomalous).toBe(false);
  expect(gw.gateway.services.detections.backendCalls - before).toBe(2);
});

test('50 concurrent identical uploads make one backend call', async () => {
  const before = gw.gateway.services.detections.backendCalls;
  const img = await png(textureRgb(8080, [defectFor(9)]));
  const results = await Promise.all(Array.from({ length: 50 }, () => detect(gw.url, img)));
  const ids = new Set(results.map((r) => r.body.data.detectAnomalies.id));
  expect(ids.size).toBe(1);
  expect(gw.gateway.services.detections.backendCalls - before).toBe(1);
});

test('health and readiness', async () => {
  expect(await (await fetch(`${gw.url}/healthz`)).json()).toEqual({ status: 'ok' });
  const ready = await (await fetch(`${gw.url}/readyz`)).json();
  expect(ready).toMatchObject({ status: 'ready', backend: { id: 'local', ok: true, queueDepth: 0, trainings: 0 }, cache: { kind: 'memory', ok: true } });
});

test('federation: the subgraph publishes its SDL and resolves Model entities', async () => {
  const post = (query: string, variables?: unknown) =>
    fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) }).then(
      (r) => r.json() as Promise<any>,
    );
  const sdl = (await post('{ _service { sdl } }')).data._service.sdl;
  expect(sdl).toMatch(/type DetectionResult\s+@key\(fields: "id"\)/);
  const entities = await post('query($r: [_Any!]!){ _entities(representations: $r) { ... on Model { version type performance { testNormalImages } } } }', {
    r: [{ __typename: 'Model', projectName: 'demo', version: '1' }],
  });
  expect(entities.data._entities[0]).toMatchObject({ version: '1', type: 'SEGMENTATION' });
});
