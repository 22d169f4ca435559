import { defectFor, png, textureRgb } from '../helpers/images';
import { dataDirWithDemoModel, detect, startGateway, type Running } from '../gateway/helpers';
import { ACCESS_KEY, LFV_ACCESS_KEYS } from './helpers';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The gateway's own `lookoutvision` backend (the AWS SDK client) pointed at another gateway's
 * Lookout for Vision endpoint: the two faces of the project meet, end to end, signed.
 */

let engine: Running;
let front: Running;
let data: { path: string; cleanup: () => Promise<void> };
let frontDir: string;

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  engine = await startGateway(data.path, { LFV_ACCESS_KEYS });
  frontDir = await mkdtemp(join(tmpdir(), 'lookout-front-'));
  process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = ACCESS_KEY.secretAccessKey;
  front = await startGateway(frontDir, { BACKEND: 'lookoutvision', LOOKOUTVISION_ENDPOINT: engine.url, LOOKOUTVISION_REGION: 'eu-west-1' });
});

afterAll(async () => {
  await front?.stop();
  await engine?.stop();
  await data?.cleanup();
  await rm(frontDir, { recursive: true, force: true });
});

test('a GraphQL detection on one gateway is answered by another gateway’s engine through the protocol', async () => {
  const image = await png(textureRgb(321, [defectFor(0)]));
  const before = engine.gateway.services.detections.backendCalls;
  const res = await detect(front.url, image, { project: 'demo', version: 'latest' });
  expect(res.status).toBe(200);
  const r = res.body.data.detectAnomalies;
  expect(r.model).toMatchObject({ projectName: 'demo', version: '1', status: 'HOSTED' });
  expect(r.isAnomalous).toBe(true);
  expect(r.anomalies[0].name).toBe('background');
  expect(r.anomalies.map((a: { name: string }) => a.name)).toContain('cracked');
  expect(r.anomalyMask).toMatchObject({ width: 128, height: 128, contentType: 'image/png' });
  const mask = await fetch(r.anomalyMask.url);
  expect(mask.status).toBe(200);
  expect(
    Buffer.from(await mask.arrayBuffer())
      .subarray(1, 4)
      .toString(),
  ).toBe('PNG');
  expect(engine.gateway.services.detections.backendCalls - before).toBe(1);

  const unknown = await detect(front.url, image, { project: 'nowhere', version: '1' });
  expect(unknown.body.errors[0].extensions.code).toBe('MODEL_NOT_FOUND');
});
