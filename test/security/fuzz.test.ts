import type { IncomingMessage, ServerResponse } from 'node:http';
import fc from 'fast-check';
import { inject } from 'light-my-request';
import pino from 'pino';
import { verifySigV4 } from '../../src/compat/sigv4';
import { loadConfig } from '../../src/config';
import { parseManifest } from '../../src/engine/dataset/manifest';
import { readImageHeader } from '../../src/engine/image/image-header';
import { isAppError } from '../../src/errors';
import { parseLines } from '../../src/projects/datasets';
import { createGateway, type Gateway } from '../../src/server';
import { createServices } from '../../src/services';
import { png, textureRgb } from '../helpers/images';
import { dataDirWithDemoModel, DETECT } from '../gateway/helpers';

/**
 * Property-based fuzzing, in process (light-my-request drives the real request handler without
 * sockets, so thousands of cases cost seconds): image headers, manifests, SigV4 headers,
 * restJson1 bodies and GraphQL multipart bodies. Every case must end in a typed answer: a
 * refusal with a code, never an untyped 500, a crash or a hang. 12,000 cases in all.
 */

let data: { path: string; cleanup: () => Promise<void> };
let gateway: Gateway;
let handle: (req: IncomingMessage, res: ServerResponse) => void;
let seedPng: Buffer;
let seedJpeg: Buffer;
const unexpected: string[] = [];

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  // Unexpected errors are logged at error level; the fuzzer collects them.
  const log = pino({ level: 'error' }, { write: (line: string) => unexpected.push(line) });
  gateway = await createGateway(
    await createServices(loadConfig({ DATA_DIR: data.path, DEMO_MODEL: 'false', LOG_LEVEL: 'error', MAX_PROJECTS: '100000' }), log),
  );
  handle = gateway.handle;
  seedPng = await png(textureRgb(5));
  seedJpeg = await (await import('sharp')).default(seedPng).jpeg().toBuffer();
});

afterAll(async () => {
  await gateway?.stop();
  await data?.cleanup();
});

afterEach(() => {
  expect(unexpected).toEqual([]);
});

/** Only AppErrors may leave these parsers. */
function typedOnly(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!isAppError(err)) throw err;
  }
}

/** A valid image with a few bytes overwritten or the tail cut: the shapes real damage takes. */
const damaged = (seed: () => Buffer) =>
  fc.tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat()).map(([edits, cut]) => {
    const b = Buffer.from(seed());
    for (const [at, v] of edits) b[at % Math.min(b.length, 400)] = v;
    return b.subarray(0, cut % 3 === 0 ? b.length : Math.max(1, cut % b.length));
  });

test('image headers: 4,000 random and damaged files, only typed refusals', () => {
  const anyBytes = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    damaged(() => seedPng),
    damaged(() => seedJpeg),
    fc.uint8Array({ maxLength: 16 }).map((t) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe1]), Buffer.from(t)])),
  );
  fc.assert(
    fc.property(anyBytes, (bytes) => typedOnly(() => readImageHeader(bytes))),
    { numRuns: 4000 },
  );
});

const refs = fc.oneof(
  fc.constantFrom(
    '/dev/zero',
    'file:///etc/passwd',
    's3://b/../../etc/hostname',
    's3://../x',
    'file://host/x',
    'http://x/y.png',
    '',
    '..',
    's3://',
    'a.png',
    'C:\\x.png',
    '\u0000.png',
  ),
  fc.string({ maxLength: 40 }),
);
const manifestLine = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc
    .record(
      {
        'source-ref': refs,
        'anomaly-label': fc.oneof(fc.constant(1), fc.constant('0'), fc.string()),
        'x-metadata': fc.oneof(fc.record({ 'class-name': fc.constantFrom('normal', 'anomaly', 'NORMAL', '') }), fc.anything()),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  fc
    .record({ 'source-ref': refs, 'l-metadata': fc.constant({ 'class-name': 'anomaly' }), 'm-ref': refs, 'm-ref-metadata': fc.anything() })
    .map((o) => JSON.stringify(o)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
);

test('manifests: 2,500 random ones, parsed under confined roots, only typed refusals', () => {
  const options = { bucketFolder: (b: string) => `/data/s3/${b}`, access: { roots: ['/data/s3', '/data/projects'], maxBytes: 1024 } };
  fc.assert(
    fc.property(fc.array(manifestLine, { maxLength: 6 }), (lines) => {
      const text = lines.join('\n');
      typedOnly(() => parseLines(text, '/data', 0));
      typedOnly(() => {
        const ds = parseManifest(text, '/data', options);
        // Whatever was accepted resolved inside the roots.
        for (const e of ds.entries) expect(e.image.startsWith('/data/s3/') || e.image.startsWith('/data/projects/')).toBe(true);
      });
    }),
    { numRuns: 2500 },
  );
});

test('SigV4: 2,000 random signatures and dates, only typed refusals', async () => {
  const keys = [{ accessKeyId: 'AKIAFUZZ0000', secret: 'fuzz-secret-0123456789' }];
  const auth = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc
      .tuple(fc.constantFrom('AKIAFUZZ0000', 'OTHER', ''), fc.string({ maxLength: 20 }), fc.string({ maxLength: 30 }), fc.stringMatching(/^[0-9a-f]{0,64}$/))
      .map(([k, scope, signed, sig]) => `AWS4-HMAC-SHA256 Credential=${k}/${scope}, SignedHeaders=${signed}, Signature=${sig}`),
  );
  await fc.assert(
    fc.asyncProperty(
      auth,
      fc.oneof(fc.string({ maxLength: 20 }), fc.constant('20261130T120000Z')),
      fc.string({ maxLength: 20 }),
      async (authorization, date, body) => {
        try {
          await verifySigV4(
            {
              method: 'POST',
              path: '/2020-11-20/projects',
              query: new URLSearchParams(),
              headers: { authorization, 'x-amz-date': date, host: 'x' },
              body: Buffer.from(body),
              bodySha256: '0'.repeat(64),
            },
            keys,
          );
        } catch (err) {
          if (!isAppError(err)) throw err;
        }
      },
    ),
    { numRuns: 2000 },
  );
});

/** One request through the real handler; a hang fails the case after 5 s. */
async function send(method: string, url: string, headers: Record<string, string>, payload: Buffer | string) {
  const reply = inject(handle, { method: method as 'POST', url, headers, payload });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in 5 s: ${method} ${url}`)), 5000).unref());
  return Promise.race([reply, timeout]);
}

const ROUTES: [string, string][] = [
  ['POST', '/2020-11-20/projects'],
  ['GET', '/2020-11-20/projects/fz'],
  ['POST', '/2020-11-20/projects/fz/datasets'],
  ['PATCH', '/2020-11-20/projects/fz/datasets/train/entries'],
  ['POST', '/2020-11-20/projects/demo/models/1/detect'],
  ['POST', '/2020-11-20/projects/fz/models'],
  ['POST', '/2020-11-20/projects/fz/models/1/start'],
  ['POST', '/2020-11-20/tags/arn:aws:lookoutvision:us-east-1:000000000000:project/fz'],
  ['GET', '/2020-11-20/projects/%ZZ'],
];

test('restJson1: 1,800 random bodies to the Lookout for Vision routes, never a 500 or a hang', async () => {
  const seen = new Set<number>();
  const body = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc
      .record(
        {
          ProjectName: fc.oneof(fc.constant('fz'), fc.string({ maxLength: 30 })),
          DatasetType: fc.constantFrom('train', 'test', 'x'),
          Changes: fc.base64String({ maxLength: 40 }),
          ClientToken: fc.string({ maxLength: 70 }),
          Tags: fc.anything(),
        },
        { requiredKeys: [] },
      )
      .map((o) => JSON.stringify(o)),
    fc.string({ maxLength: 50 }),
    damaged(() => seedPng).map((b) => b.toString('latin1')),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...ROUTES),
      body,
      fc.constantFrom('application/json', 'image/png', 'image/jpeg', 'text/plain'),
      async ([method, url], payload, type) => {
        const r = await send(method, url, { 'content-type': type }, Buffer.from(payload, type.startsWith('image/') ? 'latin1' : 'utf8'));
        seen.add(Math.floor(r.statusCode / 100));
        expect(r.statusCode).not.toBe(500);
        if (r.statusCode >= 400) expect(r.headers['x-amzn-errortype']).toBeDefined();
      },
    ),
    // One case known to succeed runs first, so the cases are seen to reach the operations.
    { numRuns: 1800, examples: [[['POST', '/2020-11-20/projects'], JSON.stringify({ ProjectName: 'fz-known-good' }), 'application/json']] },
  );
  // The cases reached the operations, not only the front door: some succeeded, some were refused.
  expect([...seen].sort()).toEqual([2, 4]);
});

test('GraphQL multipart: 1,700 random bodies, never a 500 or a hang', async () => {
  const statuses = new Set<number>();
  const part = (name: string, content: string, file?: string) =>
    `Content-Disposition: form-data; name="${name}"${file ? `; filename="${file}"\r\nContent-Type: image/png` : ''}\r\n\r\n${content}`;
  const operations = fc.oneof(
    fc.constant(JSON.stringify({ query: DETECT, variables: { image: null, project: 'demo' } })),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 40 }),
    fc.constant(JSON.stringify([{ query: DETECT, variables: { image: null, project: 'demo' } }])),
  );
  const map = fc.oneof(
    fc.constant('{"0":["variables.image"]}'),
    fc.constant('{"0":["variables.image","variables.image"]}'),
    fc.constant('{"0":["variables.nope"]}'),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 20 }),
  );
  const file = fc.oneof(
    damaged(() => seedPng),
    fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('fz-b', 'x', ''), operations, map, file, fc.boolean(), fc.nat(), async (boundary, ops, m, bytes, close, cut) => {
      let body = Buffer.concat([
        Buffer.from(`--${boundary}\r\n${part('operations', ops)}\r\n--${boundary}\r\n${part('map', m)}\r\n--${boundary}\r\n${part('0', '', 'a.png')}`, 'utf8'),
        bytes,
        Buffer.from(close ? `\r\n--${boundary}--\r\n` : ''),
      ]);
      if (cut % 5 === 0) body = body.subarray(0, cut % body.length);
      const r = await send('POST', '/graphql', { 'content-type': `multipart/form-data; boundary=${boundary}`, 'apollo-require-preflight': 'true' }, body);
      statuses.add(r.statusCode);
      expect(r.statusCode).not.toBe(500);
      const json = r.json() as { errors?: { extensions?: { code?: string } }[] };
      for (const e of json.errors ?? []) expect(e.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
    }),
    // One whole, valid detection runs first, so the cases are seen to reach the resolvers.
    {
      numRuns: 1700,
      examples: [['fz-b', JSON.stringify({ query: DETECT, variables: { image: null, project: 'demo' } }), '{"0":["variables.image"]}', seedPng, true, 1]],
    },
  );
  // Some bodies were whole detections (200), others refused at the multipart or GraphQL layer.
  expect(statuses.has(200) && statuses.has(400)).toBe(true);
});
