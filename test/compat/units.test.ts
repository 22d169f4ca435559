import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { verifySigV4, type SignedRequest } from '../../src/compat/sigv4';
import { sendAwsError } from '../../src/compat/wire';
import { AppError } from '../../src/errors';
import { ConfigError, loadConfig } from '../../src/config';
import { filterEntries, imageStats, mergeEntries, parseLines } from '../../src/projects/datasets';
import { IdempotencyStore, TOKEN_TTL_MS } from '../../src/projects/idempotency';
import { Buckets } from '../../src/projects/locations';

/** The protocol's building blocks, in process: tokens, dataset entries, signatures, settings. */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-units-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('client tokens', () => {
  const resource = { type: 'PROJECT', id: 'p' };

  test('replay the first answer, conflict on other parameters, expire after 8 hours, survive reopening', async () => {
    const path = join(dir, 'tokens.json');
    const store = await IdempotencyStore.open(path);
    let calls = 0;
    const work = async () => ({ status: 200, body: { n: ++calls } });
    const t0 = 1_000_000;
    expect(await store.run('CreateProject', 'tok', { a: 1 }, resource, work, t0)).toEqual({ status: 200, body: { n: 1 } });
    expect(await store.run('CreateProject', 'tok', { a: 1 }, resource, work, t0 + 1000)).toEqual({ status: 200, body: { n: 1 } });
    await expect(store.run('CreateProject', 'tok', { a: 2 }, resource, work, t0 + 1000)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
      details: { resourceType: 'PROJECT' },
    });
    // The same token for another operation is another request.
    expect((await store.run('DeleteProject', 'tok', { a: 2 }, resource, work, t0)).body).toEqual({ n: 2 });

    const reopened = await IdempotencyStore.open(path);
    expect((await reopened.run('CreateProject', 'tok', { a: 1 }, resource, work, t0 + 2000)).body).toEqual({ n: 1 });
    expect((await reopened.run('CreateProject', 'tok', { a: 2 }, resource, work, t0 + TOKEN_TTL_MS + 1)).body).toEqual({ n: 3 });
  });

  test('a duplicate arriving while the first runs waits for it; a failure is not remembered', async () => {
    const store = await IdempotencyStore.open(join(dir, 'tokens2.json'));
    let release!: () => void;
    let calls = 0;
    const slow = () => new Promise<{ status: number; body: unknown }>((r) => (release = () => r({ status: 202, body: { n: ++calls } })));
    const a = store.run('CreateModel', 'dup', {}, resource, slow);
    const b = store.run('CreateModel', 'dup', {}, resource, slow);
    release();
    expect(await a).toEqual(await b);
    expect(calls).toBe(1);
    await expect(store.run('StartModel', 'fails', {}, resource, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await store.run('StartModel', 'fails', {}, resource, async () => ({ status: 202, body: 'ok' }))).body).toBe('ok');
    expect((await store.run('StartModel', undefined, {}, resource, async () => ({ status: 202, body: 'no token' }))).body).toBe('no token');
  });
});

describe('dataset entries', () => {
  const line = (ref: string, cls: string) => JSON.stringify({ 'source-ref': ref, 'anomaly-label-metadata': { 'class-name': cls } });

  test('parse, relabel by source-ref keeping the creation time, count and filter', () => {
    const first = parseLines([line('s3://b/1.png', 'normal'), line('s3://b/2.png', 'anomaly'), line('s3://b/3.png', 'other')].join('\n'), null, 100);
    expect(imageStats(first)).toEqual({ total: 3, labeled: 2, normal: 1, anomaly: 1 });
    const merged = mergeEntries(first, parseLines([line('s3://b/3.png', 'anomaly'), line('s3://b/4.png', 'normal')].join('\r\n'), null, 200));
    expect(merged.map((e) => [JSON.parse(e.line)['source-ref'], e.createdAt])).toEqual([
      ['s3://b/1.png', 100],
      ['s3://b/2.png', 100],
      ['s3://b/3.png', 100],
      ['s3://b/4.png', 200],
    ]);
    expect(imageStats(merged)).toEqual({ total: 4, labeled: 4, normal: 2, anomaly: 2 });
    expect(filterEntries(merged, { anomalyClass: 'anomaly' })).toHaveLength(2);
    expect(filterEntries(merged, { createdAfter: 150 })).toHaveLength(1);
    expect(filterEntries(merged, { createdBefore: 150, sourceRefContains: '2.png' })).toHaveLength(1);
    expect(filterEntries(first, { labeled: false })).toHaveLength(1);
  });

  test.each([
    ['not JSON', '{"source-ref": ', /Line 1 is not valid JSON/],
    ['no source-ref', '{"a": 1}', /Line 1 has no source-ref/],
    ['an array', '[1]', /not a JSON object/],
    ['a line over 8192 characters', JSON.stringify({ 'source-ref': 'x'.repeat(9000) }), /longer than 8192/],
  ])('%s is DATASET_INVALID', (_what, text, message) => {
    expect(() => parseLines(text, null, 0)).toThrow(message);
  });
});

describe('signature checks', () => {
  const key = { accessKeyId: 'AKIAUNITTEST00000001', secret: 'unit-test-secret-0123456789' };
  async function signed(overrides: { service?: string; date?: Date; headers?: Record<string, string> } = {}): Promise<SignedRequest> {
    const signer = new SignatureV4({
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secret },
      region: 'eu-west-1',
      service: overrides.service ?? 'lookoutvision',
      sha256: Hash.bind(null, 'sha256'),
    });
    const body = Buffer.from('{"ProjectName":"x"}');
    const r = await signer.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: 'gw',
        path: '/2020-11-20/projects',
        query: {},
        headers: { host: 'gw:4000', 'content-type': 'application/json', ...overrides.headers },
        body,
      },
      { signingDate: overrides.date },
    );
    return {
      method: 'POST',
      path: '/2020-11-20/projects',
      query: new URLSearchParams(),
      headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v])),
      body,
    };
  }

  test('a good signature for any region passes; one for another service does not', async () => {
    await expect(verifySigV4(await signed(), [key])).resolves.toEqual({ accessKeyId: key.accessKeyId });
    await expect(verifySigV4(await signed({ service: 's3' }), [key])).rejects.toMatchObject({
      code: 'INVALID_SIGNATURE',
      message: expect.stringMatching(/lookoutvision/),
    });
  });

  test('a date 16 minutes ahead is not yet current; one within 15 minutes is fine', async () => {
    const now = new Date();
    await expect(verifySigV4(await signed({ date: new Date(now.getTime() + 16 * 60_000) }), [key], now)).rejects.toMatchObject({
      code: 'INVALID_SIGNATURE',
      message: expect.stringMatching(/^Signature not yet current/),
    });
    await expect(verifySigV4(await signed({ date: new Date(now.getTime() - 14 * 60_000) }), [key], now)).resolves.toBeTruthy();
  });

  test('a malformed Authorization header and a missing signed header are refused', async () => {
    const req = await signed();
    await expect(verifySigV4({ ...req, headers: { ...req.headers, authorization: 'Bearer x' } }, [key])).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    const { 'content-type': _dropped, ...rest } = req.headers as Record<string, string>;
    await expect(verifySigV4({ ...req, headers: rest }, [key])).rejects.toMatchObject({
      code: 'INVALID_SIGNATURE',
      message: expect.stringMatching(/content-type is missing/),
    });
    await expect(verifySigV4(req, [])).rejects.toMatchObject({ code: 'UNKNOWN_ACCESS_KEY' });
  });
});

test('bucket keys cannot climb out of their folder', () => {
  const b = new Buckets({ mine: '/srv/mine' }, '/data');
  expect(b.path('mine', 'a/b.png')).toBe('/srv/mine/a/b.png');
  expect(b.path('other', 'x.json')).toBe('/data/s3/other/x.json');
  expect(() => b.path('mine', '../../etc/passwd')).toThrow(/leaves bucket/);
});

test('bad protocol settings are all listed at once, secrets never echoed', () => {
  let err: ConfigError | undefined;
  try {
    loadConfig({
      LFV_ACCESS_KEYS: 'AK:short,GOODKEYID0001:long-enough-secret-1234',
      S3_BUCKETS: 'x=/tmp,ok-bucket=',
      LFV_ACCOUNT_ID: '12',
      GRAPHQL_ADMIN_TOKEN: 'tiny',
    });
  } catch (e) {
    err = e as ConfigError;
  }
  expect(err).toBeInstanceOf(ConfigError);
  const text = err!.problems.join('\n');
  expect(text).toMatch(/LFV_ACCESS_KEYS: key id "AK" must be 4-128 letters or digits/);
  expect(text).toMatch(/LFV_ACCESS_KEYS: the secret of key "AK" must have at least 16 characters/);
  expect(text).toMatch(/S3_BUCKETS: "x=\/tmp" must be bucket=folder/);
  expect(text).toMatch(/S3_BUCKETS: bucket "ok-bucket" has no folder/);
  expect(text).toMatch(/LFV_ACCOUNT_ID: must be 12 digits/);
  expect(text).toMatch(/GRAPHQL_ADMIN_TOKEN/);
  expect(text).not.toMatch(/short/);
});

test('errors on the wire: an unexpected one is a masked InternalServerException; a registry code keeps its exception and fields', async () => {
  const errors: unknown[] = [
    new Error('secret detail of a bug'),
    new AppError('QUEUE_FULL', 'busy', { retryAfterSeconds: 2 }),
    new AppError('QUOTA_EXCEEDED', 'too many', { quotaCode: 'Q', serviceCode: 'lookoutvision' }),
  ];
  const server = http.createServer((req, res) => sendAwsError(res, 'req-1', errors[Number(req.url!.slice(1))], pino({ level: 'silent' })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const internal = await fetch(`${url}/0`);
    expect([internal.status, internal.headers.get('x-amzn-errortype'), internal.headers.get('x-amzn-requestid'), internal.headers.get('retry-after')]).toEqual([
      500,
      'InternalServerException',
      'req-1',
      '1',
    ]);
    expect(await internal.json()).toEqual({ __type: 'InternalServerException', Message: 'Unexpected error.' });
    const busy = await fetch(`${url}/1`);
    expect([busy.status, busy.headers.get('x-amzn-errortype'), busy.headers.get('retry-after')]).toEqual([429, 'ThrottlingException', '2']);
    expect(await busy.json()).toMatchObject({ __type: 'ThrottlingException', Message: 'busy', ServiceCode: 'lookoutvision' });
    const quota = await fetch(`${url}/2`);
    expect(quota.status).toBe(402);
    expect(await quota.json()).toEqual({ __type: 'ServiceQuotaExceededException', Message: 'too many', QuotaCode: 'Q', ServiceCode: 'lookoutvision' });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
