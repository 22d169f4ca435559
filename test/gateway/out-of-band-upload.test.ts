import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { defectFor, png, textureRgb } from '../helpers/images';
import { copyOfDataDir, dataDirWithDemoModel, detect, startGateway, type Running } from './helpers';

/**
 * The out-of-band flow a front-end behind a router uses: createImageUpload (JSON), PUT the bytes
 * to the signed URL, detectAnomalies with the upload id. Same result as multipart, same checks
 * and codes, used once by its owner; with Redis, any replica takes any step.
 */

const DETECT_UPLOADED = `mutation($uploadId: ID!, $project: String!) {
  detectAnomalies(input: { uploadId: $uploadId, projectName: $project }) {
    id imageSha256 isAnomalous confidence cached anomalies { name } anomalyMask { url }
  }
}`;

const CREATE = `mutation($input: CreateImageUploadInput!) {
  createImageUpload(input: $input) { uploadId uploadUrl method contentType byteLength expiresAt }
}`;

async function gql(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function createUpload(url: string, bytes: Buffer, opts: { type?: string; project?: string; byteLength?: number; headers?: Record<string, string> } = {}) {
  const res = await gql(
    url,
    CREATE,
    { input: { projectName: opts.project ?? 'demo', contentType: opts.type ?? 'image/png', byteLength: opts.byteLength ?? bytes.length } },
    opts.headers,
  );
  expect(res.body.errors).toBeUndefined();
  return res.body.data.createImageUpload as { uploadId: string; uploadUrl: string; method: string; contentType: string; byteLength: number; expiresAt: string };
}

async function put(uploadUrl: string, bytes: Buffer, type = 'image/png') {
  const res = await fetch(uploadUrl, { method: 'PUT', headers: { 'content-type': type }, body: new Uint8Array(bytes) });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

const codeOf = (body: any) => body.errors?.[0]?.extensions?.code;

let data: { path: string; cleanup: () => Promise<void> };
let gw: Running;
let image: Buffer;

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  gw = await startGateway(data.path);
  image = await png(textureRgb(4242, [defectFor(3)]));
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await data?.cleanup();
});

test('create, PUT, detect: the same result as multipart, then the upload is spent', async () => {
  const upload = await createUpload(gw.url, image);
  expect(upload).toMatchObject({ method: 'PUT', contentType: 'image/png', byteLength: image.length });
  expect(new Date(upload.expiresAt).getTime()).toBeGreaterThan(Date.now());
  const stored = await put(upload.uploadUrl, image);
  expect(stored.status).toBe(200);
  expect(stored.body).toMatchObject({ uploadId: upload.uploadId, byteLength: image.length });
  expect(stored.headers.get('access-control-allow-origin')).toBe('*');

  const viaUpload = await gql(gw.url, DETECT_UPLOADED, { uploadId: upload.uploadId, project: 'demo' });
  expect(viaUpload.body.errors).toBeUndefined();
  const result = viaUpload.body.data.detectAnomalies;
  const viaMultipart = (await detect(gw.url, image)).body.data.detectAnomalies;
  expect(result).toMatchObject({ id: viaMultipart.id, imageSha256: viaMultipart.imageSha256, isAnomalous: true, confidence: viaMultipart.confidence });
  expect(result.anomalies.map((a: { name: string }) => a.name)).toEqual(viaMultipart.anomalies.map((a: { name: string }) => a.name));
  expect((await fetch(result.anomalyMask.url)).status).toBe(200);

  const again = await gql(gw.url, DETECT_UPLOADED, { uploadId: upload.uploadId, project: 'demo' });
  expect(codeOf(again.body)).toBe('UPLOAD_USED');
  expect(again.status).toBe(409);
});

test('a browser preflight for the PUT is answered', async () => {
  const upload = await createUpload(gw.url, image);
  const res = await fetch(upload.uploadUrl, { method: 'OPTIONS', headers: { origin: 'https://line.example', 'access-control-request-method': 'PUT' } });
  expect(res.status).toBe(204);
  expect(res.headers.get('access-control-allow-methods')).toContain('PUT');
  expect(res.headers.get('access-control-allow-headers')).toContain('content-type');
});

test('a batch takes upload ids; a bad one fails only its own item', async () => {
  const a = await createUpload(gw.url, image);
  await put(a.uploadUrl, image);
  const other = await png(textureRgb(4243, []));
  const b = await createUpload(gw.url, other);
  await put(b.uploadUrl, other);
  const waiting = await createUpload(gw.url, other);
  const res = await gql(
    gw.url,
    `mutation($ids: [ID!]!) { detectAnomaliesBatch(input: { uploadIds: $ids, projectName: "demo" }) { index result { isAnomalous imageSha256 } error { code } } }`,
    { ids: [a.uploadId, b.uploadId, waiting.uploadId, 'x'.repeat(22)] },
  );
  expect(res.body.errors).toBeUndefined();
  const items = res.body.data.detectAnomaliesBatch;
  expect(items.map((i: any) => i.result?.isAnomalous ?? i.error.code)).toEqual([true, false, 'UPLOAD_NOT_READY', 'UPLOAD_NOT_FOUND']);
  // The one refused for being early is still usable once its bytes arrive.
  await put(waiting.uploadUrl, other);
  expect((await gql(gw.url, DETECT_UPLOADED, { uploadId: waiting.uploadId, project: 'demo' })).body.data.detectAnomalies.isAnomalous).toBe(false);
});

describe('bad input gets the codes multipart gets, and nothing is stored', () => {
  test.each([
    ['an unsupported type', { contentType: 'image/gif' }, 'UNSUPPORTED_IMAGE_FORMAT'],
    ['a size over MAX_UPLOAD_BYTES', { byteLength: 64 * 1024 * 1024 }, 'PAYLOAD_TOO_LARGE'],
    ['a zero size', { byteLength: 0 }, 'BAD_USER_INPUT'],
  ])('createImageUpload with %s', async (_name, input, code) => {
    const res = await gql(gw.url, CREATE, { input: { projectName: 'demo', contentType: 'image/png', byteLength: 100, ...input } });
    expect(codeOf(res.body)).toBe(code);
  });

  test('a PUT that does not match what was created, or is not an image, is refused; a right one then works', async () => {
    const upload = await createUpload(gw.url, image);
    expect(codeOf((await put(upload.uploadUrl, image, 'image/jpeg')).body)).toBe('BAD_USER_INPUT');
    const more = await put(upload.uploadUrl, Buffer.concat([image, Buffer.alloc(10)]));
    expect([more.status, codeOf(more.body)]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const fewer = await put(upload.uploadUrl, image.subarray(0, image.length - 10));
    expect([fewer.status, codeOf(fewer.body)]).toEqual([400, 'BAD_USER_INPUT']);
    expect(fewer.body.errors[0].message).toMatch(/truncated/);
    const text = Buffer.alloc(image.length, 'not an image ');
    expect(codeOf((await put(upload.uploadUrl, text)).body)).toBe('INVALID_IMAGE');
    expect(codeOf((await gql(gw.url, DETECT_UPLOADED, { uploadId: upload.uploadId, project: 'demo' })).body)).toBe('UPLOAD_NOT_READY');
    expect((await put(upload.uploadUrl, image)).status).toBe(200);
    const twice = await put(upload.uploadUrl, image);
    expect([twice.status, codeOf(twice.body)]).toEqual([409, 'UPLOAD_USED']);
  });

  test('a decompression bomb is refused at the PUT from its header', async () => {
    const bomb = await sharp({ create: { width: 15000, height: 15000, channels: 3, background: '#000' } })
      .png({ palette: true, colours: 2, compressionLevel: 9 })
      .toBuffer();
    const upload = await createUpload(gw.url, bomb);
    expect(codeOf((await put(upload.uploadUrl, bomb)).body)).toBe('IMAGE_TOO_MANY_PIXELS');
  });

  test('a tampered URL, a GET and a URL for another upload are refused', async () => {
    const upload = await createUpload(gw.url, image);
    const url = new URL(upload.uploadUrl);
    const tampered = new URL(url);
    tampered.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 3600));
    expect((await put(tampered.href, image)).status).toBe(403);
    const other = await createUpload(gw.url, image);
    const swapped = new URL(url);
    swapped.pathname = new URL(other.uploadUrl).pathname;
    expect((await put(swapped.href, image)).status).toBe(403);
    expect((await fetch(upload.uploadUrl)).status).toBe(405);
    expect((await put(upload.uploadUrl, image)).status).toBe(200);
  });

  test('an upload made for one project cannot be used in another', async () => {
    const upload = await createUpload(gw.url, image);
    await put(upload.uploadUrl, image);
    const res = await gql(gw.url, DETECT_UPLOADED, { uploadId: upload.uploadId, project: 'other' });
    expect(codeOf(res.body)).toBe('BAD_USER_INPUT');
    expect((await gql(gw.url, DETECT_UPLOADED, { uploadId: upload.uploadId, project: 'demo' })).body.errors).toBeUndefined();
  });

  test('both an image and an upload id, or neither, is refused', async () => {
    const res = await gql(gw.url, `mutation { detectAnomalies(input: { projectName: "demo" }) { id } }`, {});
    expect(codeOf(res.body)).toBe('BAD_USER_INPUT');
  });
});

describe('owners and replicas (Redis)', () => {
  const keys = { a: randomBytes(24).toString('hex'), b: randomBytes(24).toString('hex') };
  let first: { path: string; cleanup: () => Promise<void> };
  let second: { path: string; cleanup: () => Promise<void> };
  let r1: Running;
  let r2: Running;
  beforeAll(async () => {
    first = await copyOfDataDir(data.path);
    second = await copyOfDataDir(data.path);
    const env = {
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      CACHE_KEY_PREFIX: `test-${randomBytes(4).toString('hex')}:`,
      MASK_URL_KEYS: `k1:${randomBytes(24).toString('hex')}`,
      API_KEYS: `line-a:${keys.a}:detect:demo,line-b:${keys.b}:detect:demo`,
      NODE_ENV: 'production',
      PUBLIC_BASE_URL: 'http://127.0.0.1:1',
    };
    r1 = await startGateway(first.path, env);
    r2 = await startGateway(second.path, { ...env, PUBLIC_BASE_URL: 'http://127.0.0.1:2' });
  }, 60_000);
  afterAll(async () => {
    await r1?.stop();
    await r2?.stop();
    await first?.cleanup();
    await second?.cleanup();
  });

  test('created on one replica, PUT to the other, detected on the first; another key cannot use it', async () => {
    const upload = await createUpload(r1.url, image, { headers: { 'x-api-key': keys.a } });
    // PUBLIC_BASE_URL names the load balancer; here the path goes to the second replica itself.
    const onR2 = new URL(upload.uploadUrl);
    expect((await put(`${r2.url}${onR2.pathname}${onR2.search}`, image)).status).toBe(200);
    const stranger = await gql(r1.url, DETECT_UPLOADED, { uploadId: upload.uploadId, project: 'demo' }, { 'x-api-key': keys.b });
    expect(codeOf(stranger.body)).toBe('UPLOAD_NOT_FOUND');
    const owner = await gql(r1.url, DETECT_UPLOADED, { uploadId: upload.uploadId, project: 'demo' }, { 'x-api-key': keys.a });
    expect(owner.body.errors).toBeUndefined();
    expect(owner.body.data.detectAnomalies.isAnomalous).toBe(true);
  });

  test('of concurrent uses on both replicas exactly one detects', async () => {
    const upload = await createUpload(r2.url, image, { headers: { 'x-api-key': keys.a } });
    const path = new URL(upload.uploadUrl);
    await put(`${r1.url}${path.pathname}${path.search}`, image);
    const results = await Promise.all(
      [r1, r2, r1, r2].map((r) => gql(r.url, DETECT_UPLOADED, { uploadId: upload.uploadId, project: 'demo' }, { 'x-api-key': keys.a })),
    );
    expect(results.filter((r) => r.body.data?.detectAnomalies).length).toBe(1);
    expect(results.filter((r) => codeOf(r.body) === 'UPLOAD_USED').length).toBe(3);
  });
});
