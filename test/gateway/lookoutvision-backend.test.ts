import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { png, textureRgb } from '../helpers/images';
import { startLookoutVisionPeer, type LookoutVisionPeer } from '../peers/lookoutvision-peer';
import { detect, startGateway, type Running } from './helpers';

/**
 * The `lookoutvision` backend: the real @aws-sdk/client-lookoutvision client, over real HTTP,
 * against a peer that speaks the service's protocol (test/peers). No SDK mocks.
 */

let peer: LookoutVisionPeer;
let gw: Running;
let dir: string;

beforeAll(async () => {
  peer = await startLookoutVisionPeer();
  dir = await mkdtemp(join(tmpdir(), 'lookout-lfv-'));
  // Credentials come from the standard AWS chain; the environment is its first link.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLETEST';
  process.env.AWS_SECRET_ACCESS_KEY = 'example-secret-key-for-tests-only';
  gw = await startGateway(dir, {
    BACKEND: 'lookoutvision',
    LOOKOUTVISION_ENDPOINT: peer.url,
    LOOKOUTVISION_REGION: 'us-east-1',
    LOOKOUTVISION_REQUEST_TIMEOUT_MS: '500',
    LOOKOUTVISION_MAX_ATTEMPTS: '3',
  });
});

afterAll(async () => {
  await gw?.stop();
  await peer?.close();
  await rm(dir, { recursive: true, force: true });
});

const detectCalls = (project: string) => peer.requests.filter((r) => r.method === 'POST' && r.path.startsWith(`/2020-11-20/projects/${project}/`)).length;

const gql = (query: string) =>
  fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then(
    (r) => r.json() as Promise<any>,
  );

test('a segmentation answer comes back typed; the request was signed and carried the image', async () => {
  const img = await png(textureRgb(1));
  const before = peer.requests.length;
  const r = (await detect(gw.url, img, { project: 'factory', version: '1' })).body.data.detectAnomalies;
  expect(r).toMatchObject({
    isAnomalous: true,
    confidence: 0.93,
    cached: false,
    model: { projectName: 'factory', version: '1', status: 'HOSTED', type: null },
  });
  expect(r.anomalies.map((a: { name: string }) => a.name)).toEqual(['background', 'scratch']);
  expect(r.anomalies[1].pixelAnomaly).toEqual({ totalPercentageArea: 0.25, color: '#2CA02C' });
  expect(r.anomalyMask).toMatchObject({ width: 128, height: 128 });
  expect((await fetch(r.anomalies[1].mask.url)).status).toBe(200);

  const call = peer.requests.slice(before).find((q) => q.method === 'POST')!;
  expect(call.path).toBe('/2020-11-20/projects/factory/models/1/detect');
  expect(call.headers['content-type']).toBe('image/png');
  expect(call.bodyBytes).toBe(img.length);
  expect(call.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLETEST\/\d{8}\/us-east-1\/lookoutvision\/aws4_request/);

  expect((await detect(gw.url, img, { project: 'factory', version: '1' })).body.data.detectAnomalies.cached).toBe(true);
});

test('a classification answer has no anomalies and no mask', async () => {
  const r = (await detect(gw.url, await png(textureRgb(2)), { project: 'sorting' })).body.data.detectAnomalies;
  expect(r).toMatchObject({ isAnomalous: false, confidence: 0.8, anomalies: null, anomalyMask: null });
});

test.each([
  // Refused before any detect call (and before the cache): the model's status says it all.
  ['a model that is not hosted ("latest" is version 2, TRAINED)', 'factory', 'MODEL_NOT_RUNNING', 409, 0],
  ['an unknown project', 'nowhere', 'MODEL_NOT_FOUND', 404, 0],
  ['access denied', 'denied', 'FORBIDDEN', 403, 1],
  ['a server error, after the standard retries', 'broken', 'UPSTREAM_ERROR', 502, 3],
  ['a peer that never answers, after the request timeout and retries', 'slow', 'UPSTREAM_ERROR', 502, 3],
])(
  '%s',
  async (_name, project, code, status, attempts) => {
    const before = detectCalls(project);
    const res = await detect(gw.url, await png(textureRgb(3)), { project });
    expect(res.body.errors[0].extensions.code).toBe(code);
    expect(res.status).toBe(status);
    expect(detectCalls(project) - before).toBe(attempts);
  },
  30_000,
);

test('throttling is retried, then reported with its retry-after', async () => {
  const before = detectCalls('throttled');
  const res = await detect(gw.url, await png(textureRgb(4)), { project: 'throttled' });
  expect(res.status).toBe(429);
  expect(res.body.errors[0].extensions).toMatchObject({ code: 'THROTTLED', retryAfterSeconds: 3 });
  expect(detectCalls('throttled') - before).toBe(3);
}, 30_000);

test('projects and models are read through the paginated list operations', async () => {
  const r = await gql('{ projects { name } models(projectName: "factory") { version status performance { f1Score precision recall } } }');
  expect(r.data.projects.map((p: { name: string }) => p.name)).toEqual(['broken', 'denied', 'factory', 'slow', 'sorting', 'throttled']);
  expect(r.data.models).toEqual([
    { version: '2', status: 'TRAINED', performance: { f1Score: 0.9, precision: 0.95, recall: 0.85 } },
    { version: '1', status: 'HOSTED', performance: { f1Score: 0.9, precision: 0.95, recall: 0.85 } },
  ]);
});
