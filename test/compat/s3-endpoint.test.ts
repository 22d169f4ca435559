import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  CreateModelCommand,
  CreateProjectCommand,
  DescribeDatasetCommand,
  UpdateDatasetEntriesCommand,
  ValidationException,
  type LookoutVisionClient,
} from '@aws-sdk/client-lookoutvision';
import { startGateway, type Running } from '../gateway/helpers';
import { startS3Peer, type S3Peer } from '../peers/s3-peer';
import { client, createTrainDataset, LFV_ACCESS_KEYS, thrown, waitForStatus, writeS3Dataset } from './helpers';

/**
 * Buckets on an S3-compatible endpoint (S3_ENDPOINT): the real @aws-sdk/client-s3 against a
 * real HTTP peer. Datasets copy their objects when made; evaluation output is uploaded.
 */

let dir: string;
let peer: S3Peer;
let gw: Running;
let lfv: LookoutVisionClient;

async function upload(root: string, bucket: string): Promise<void> {
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    peer.objects.set(`${bucket}/${relative(root, path)}`, await readFile(path));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-s3-'));
  peer = await startS3Peer();
  process.env.AWS_ACCESS_KEY_ID = 'AKIAS3CLIENTTEST0001';
  process.env.AWS_SECRET_ACCESS_KEY = 's3-client-secret-for-tests-only';
  gw = await startGateway(join(dir, 'data'), { LFV_ACCESS_KEYS, S3_ENDPOINT: peer.url });
  lfv = client(gw.url);
});

afterAll(async () => {
  lfv?.destroy();
  await gw?.stop();
  await peer?.close();
  await rm(dir, { recursive: true, force: true });
});

test('a dataset from a manifest in an S3-compatible store, trained, with its evaluation uploaded there', async () => {
  const key = await writeS3Dataset(join(dir, 'staging'), 'remote-bucket', 'belts', 12, 6);
  await upload(join(dir, 'staging'), 'remote-bucket');
  await lfv.send(new CreateProjectCommand({ ProjectName: 'belts' }));
  await createTrainDataset(lfv, 'belts', 'remote-bucket', key);
  expect((await lfv.send(new DescribeDatasetCommand({ ProjectName: 'belts', DatasetType: 'train' }))).DatasetDescription!.ImageStats).toEqual({
    Total: 18,
    Labeled: 18,
    Normal: 12,
    Anomaly: 6,
  });
  const gets = peer.requests.filter((r) => r.method === 'GET').map((r) => r.path);
  expect(gets).toContain(`remote-bucket/${key}`);
  expect(gets.filter((p) => p.endsWith('.png'))).toHaveLength(12 + 6 + 6); // images and masks, once each

  // Copied when the dataset was made: the store may change afterwards without changing it.
  for (const k of [...peer.objects.keys()]) if (k.startsWith('remote-bucket/')) peer.objects.delete(k);
  await lfv.send(new CreateModelCommand({ ProjectName: 'belts', OutputConfig: { S3Location: { Bucket: 'remote-output', Prefix: 'runs/' } } }));
  const trained = await waitForStatus(lfv, 'belts', '1', ['TRAINED', 'TRAINING_FAILED']);
  expect(trained.Status).toBe('TRAINED');
  const uploaded = peer.objects.get(`remote-output/${trained.EvaluationResult!.Key}`);
  expect(uploaded).toBeDefined();
  expect(JSON.parse(uploaded!.toString()).AggregatedEvaluationResults.Metrics.F1Score).toBeCloseTo(trained.Performance!.F1Score!, 6);
  const manifest = peer.objects.get(`remote-output/${trained.EvaluationManifest!.Key}`)!.toString().trim().split('\n');
  expect(manifest.length).toBeGreaterThan(0);
  expect(JSON.parse(manifest[0])['source-ref']).toMatch(/^s3:\/\/remote-bucket\/belts\//);

  // An object the store does not have is named in the ValidationException; nothing changes.
  const missing = JSON.stringify({ 'source-ref': 's3://remote-bucket/belts/images/nope.png', 'anomaly-label-metadata': { 'class-name': 'normal' } });
  const err = await thrown(() => lfv.send(new UpdateDatasetEntriesCommand({ ProjectName: 'belts', DatasetType: 'train', Changes: Buffer.from(missing) })));
  expect(err).toBeInstanceOf(ValidationException);
  expect(err.message).toMatch(/s3:\/\/remote-bucket\/belts\/images\/nope\.png cannot be read from the S3 endpoint: NoSuchKey/);
  expect((await lfv.send(new DescribeDatasetCommand({ ProjectName: 'belts', DatasetType: 'train' }))).DatasetDescription!.ImageStats!.Total).toBe(18);
});
