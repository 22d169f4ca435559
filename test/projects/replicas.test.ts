import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  CreateModelCommand,
  CreateProjectCommand,
  DeleteModelCommand,
  DescribeDatasetCommand,
  DetectAnomaliesCommand,
  StartModelCommand,
  StopModelCommand,
} from '@aws-sdk/client-lookoutvision';
import S3rver from 's3rver';
import { defectFor, png, textureRgb } from '../helpers/images';
import { exists } from '../../src/lib/exists';
import { eventually } from '../helpers/eventually';
import { freshDatabase } from '../helpers/postgres';
import { multipart, postMultipart, startGateway, type Running } from '../gateway/helpers';
import { client, createTrainDataset, LFV_ACCESS_KEYS, thrown, waitForStatus, writeS3Dataset } from '../compat/helpers';

/**
 * Two replicas, each with its own data folder, on one PostgreSQL and one S3 server (s3rver, a
 * real S3-compatible server): a model trained and started through one is served by the other,
 * which fetches its files from the storage; stopping it through one makes the other refuse;
 * deleting it removes its files from the storage.
 */

const BUCKET = 'lookout-artifacts';
const ADMIN_TOKEN = 'replicas-admin-token-0123456789abcdef0123';
let dir: string;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let s3: S3rver;
let s3Url: string;
let a: Running;
let b: Running;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-replicas-'));
  db = await freshDatabase();
  s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: BUCKET, configs: [] }] });
  const { port } = await s3.run();
  s3Url = `http://127.0.0.1:${port}`;
  // s3rver's own credentials, found by the gateway through the standard AWS chain.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  const env = {
    DATABASE_URL: db.url,
    ARTIFACTS_URL: `s3://${BUCKET}/models-test`,
    S3_ENDPOINT: s3Url,
    LFV_ACCESS_KEYS,
    S3_BUCKETS: `parts-bucket=${join(dir, 'bucket')}`,
    // One cache and single-flight for both, as deployed.
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    CACHE_KEY_PREFIX: `replicas-${Date.now()}-${process.pid}:`,
    GRAPHQL_ADMIN_TOKEN: ADMIN_TOKEN,
  };
  a = await startGateway(join(dir, 'a'), env);
  b = await startGateway(join(dir, 'b'), env);
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await s3?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const objects = async () => {
  const c = new S3Client({ endpoint: s3Url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  try {
    return ((await c.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'models-test/' }))).Contents ?? []).map((o) => o.Key!);
  } finally {
    c.destroy();
  }
};

test('a model trained and started through one replica is served, stopped and deleted through the other', async () => {
  const key = await writeS3Dataset(join(dir, 'bucket'), 'parts-bucket', 'parts', 12, 4);
  const ca = client(a.url);
  const cb = client(b.url);
  await ca.send(new CreateProjectCommand({ ProjectName: 'parts' }));
  await createTrainDataset(ca, 'parts', 'parts-bucket', key);
  await ca.send(new CreateModelCommand({ ProjectName: 'parts', OutputConfig: { S3Location: { Bucket: 'parts-out' } } }));
  await waitForStatus(ca, 'parts', '1', ['TRAINED']);
  // The files are in the storage before anyone is told the model is trained.
  expect(await objects()).toContain('models-test/projects/parts/models/1/model.json');
  await ca.send(new StartModelCommand({ ProjectName: 'parts', ModelVersion: '1', MinInferenceUnits: 1 }));
  await waitForStatus(ca, 'parts', '1', ['HOSTED']);

  // B never trained it: it learns the status from the database and fetches the files.
  expect((await waitForStatus(cb, 'parts', '1', ['HOSTED'], 15_000)).Status).toBe('HOSTED');
  const anomalous = await cb.send(
    new DetectAnomaliesCommand({ ProjectName: 'parts', ModelVersion: '1', Body: await png(textureRgb(4242, [defectFor(1)])), ContentType: 'image/png' }),
  );
  expect(anomalous.DetectAnomalyResult!.IsAnomalous).toBe(true);

  // 50 identical new uploads spread over both replicas: one engine call between them.
  const calls = () => a.gateway.services.detections.backendCalls + b.gateway.services.detections.backendCalls;
  const before = calls();
  const same = await png(textureRgb(4244, [defectFor(2)]));
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      (i % 2 ? cb : ca).send(new DetectAnomaliesCommand({ ProjectName: 'parts', ModelVersion: '1', Body: same, ContentType: 'image/png' })),
    ),
  );
  expect(calls() - before).toBe(1);
  expect(new Set(answers.map((r) => JSON.stringify(r.DetectAnomalyResult))).size).toBe(1);

  await ca.send(new StopModelCommand({ ProjectName: 'parts', ModelVersion: '1' }));
  await waitForStatus(ca, 'parts', '1', ['TRAINED']);
  const normal = await png(textureRgb(4243));
  const refused = await eventually(
    // Until B hears of the stop, it still answers.
    () =>
      thrown(() => cb.send(new DetectAnomaliesCommand({ ProjectName: 'parts', ModelVersion: '1', Body: normal, ContentType: 'image/png' }))).catch(() => ({
        name: 'still answered',
      })),
    (err) => err.name === 'ConflictException',
    15_000,
  );
  expect(refused.name).toBe('ConflictException');

  await cb.send(new DeleteModelCommand({ ProjectName: 'parts', ModelVersion: '1' }));
  expect(await eventually(objects, (keys) => keys.length === 0, 15_000)).toEqual([]);
  // A, which trained it, drops its own copy once it hears of the deletion.
  const aCopy = join(dir, 'a', 'projects', 'parts', 'models', '1');
  expect(
    await eventually(
      () => exists(aCopy),
      (present) => !present,
      15_000,
    ),
  ).toBe(false);
}, 180_000);

test('a training whose files cannot be stored fails with the reason; nothing says TRAINED without them', async () => {
  const c = await startGateway(join(dir, 'c'), {
    DATABASE_URL: db.url,
    ARTIFACTS_URL: 's3://no-such-bucket/models',
    S3_ENDPOINT: s3Url,
    LFV_ACCESS_KEYS,
    S3_BUCKETS: `parts-bucket=${join(dir, 'bucket')}`,
  });
  try {
    const cc = client(c.url);
    await cc.send(new CreateModelCommand({ ProjectName: 'parts', OutputConfig: { S3Location: { Bucket: 'parts-out' } } }));
    const failed = await waitForStatus(cc, 'parts', '2', ['TRAINING_FAILED', 'TRAINED']);
    expect(failed.Status).toBe('TRAINING_FAILED');
    expect(failed.StatusMessage).toMatch(/model storage \(ARTIFACTS_URL\) failed to store model files: NoSuchBucket/);
    // The other replicas read the same outcome.
    expect((await waitForStatus(client(a.url), 'parts', '2', ['TRAINING_FAILED'], 15_000)).Status).toBe('TRAINING_FAILED');
  } finally {
    await c.stop();
  }
}, 120_000);

test('a model whose files are incomplete in storage is refused as damaged where it is fetched, and stays hosted elsewhere', async () => {
  const ca = client(a.url);
  await ca.send(new CreateModelCommand({ ProjectName: 'parts', OutputConfig: { S3Location: { Bucket: 'parts-out' } } }));
  await waitForStatus(ca, 'parts', '3', ['TRAINED']);
  await ca.send(new StartModelCommand({ ProjectName: 'parts', ModelVersion: '3', MinInferenceUnits: 1 }));
  await waitForStatus(ca, 'parts', '3', ['HOSTED']);
  // Every file but the header goes missing from the storage.
  const s3c = new S3Client({ endpoint: s3Url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const files = (await objects()).filter((k) => k.startsWith('models-test/projects/parts/models/3/') && !k.endsWith('/model.json'));
  expect(files.length).toBeGreaterThan(0);
  await s3c.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: files.map((Key) => ({ Key })) } }));
  s3c.destroy();

  // A replica that has no copy yet fetches what is there, and refuses to serve it.
  const c = await startGateway(join(dir, 'c'), {
    DATABASE_URL: db.url,
    ARTIFACTS_URL: `s3://${BUCKET}/models-test`,
    S3_ENDPOINT: s3Url,
    LFV_ACCESS_KEYS,
    S3_BUCKETS: `parts-bucket=${join(dir, 'bucket')}`,
  });
  try {
    const image = await png(textureRgb(4245));
    const err = await thrown(() =>
      client(c.url).send(new DetectAnomaliesCommand({ ProjectName: 'parts', ModelVersion: '3', Body: image, ContentType: 'image/png' })),
    );
    expect(err.name).toBe('InternalServerException');
    expect(err.message).toMatch(/memory bank file \(bank\.f32\) is missing/);
    // A, which has the files, still serves it, and the shared status says so.
    const ok = await ca.send(
      new DetectAnomaliesCommand({ ProjectName: 'parts', ModelVersion: '3', Body: await png(textureRgb(4246)), ContentType: 'image/png' }),
    );
    expect(ok.DetectAnomalyResult).toBeDefined();
    expect((await waitForStatus(ca, 'parts', '3', ['HOSTED', 'HOSTING_FAILED'])).Status).toBe('HOSTED');
  } finally {
    await c.stop();
  }
}, 120_000);

test('images uploaded into a dataset through one replica are trained on by another', async () => {
  const ca = client(a.url);
  await ca.send(new CreateProjectCommand({ ProjectName: 'uploads' }));
  const images = await Promise.all(Array.from({ length: 8 }, (_, i) => png(textureRgb(300 + i))));
  const form = multipart(
    'mutation($n: [Upload!]) { createDataset(input: { projectName: "uploads", normalImages: $n }) { imageStats { total } } }',
    { n: images.map(() => null) },
    images.map((bytes, i) => ({ path: `variables.n.${i}`, bytes })),
  );
  const made = await postMultipart(a.url, form, { 'apollo-require-preflight': 'true', authorization: `Bearer ${ADMIN_TOKEN}` });
  expect(made.body).toEqual({ data: { createDataset: { imageStats: { total: 8 } } } });
  // The images are in the shared storage, not only on A's disk.
  expect((await objects()).filter((k) => k.startsWith('models-test/projects/uploads/images/'))).toHaveLength(8);

  // B makes the model, so B trains it: it must read images it never received.
  const cb = client(b.url);
  await eventually(
    () =>
      cb.send(new DescribeDatasetCommand({ ProjectName: 'uploads', DatasetType: 'train' })).then(
        () => true,
        () => false,
      ),
    (ok) => ok,
    15_000,
  );
  await cb.send(new CreateModelCommand({ ProjectName: 'uploads', OutputConfig: { S3Location: { Bucket: 'uploads-out' } } }));
  const done = await waitForStatus(cb, 'uploads', '1', ['TRAINED', 'TRAINING_FAILED']);
  expect([done.Status, done.StatusMessage]).toEqual(['TRAINED', 'Training completed successfully.']);
}, 120_000);

test('StartModel through both replicas at once: both succeed, and the model ends hosted on both', async () => {
  // The model trained through B in the test before.
  const [ra, rb] = await Promise.allSettled(
    [a, b].map((gw) => client(gw.url).send(new StartModelCommand({ ProjectName: 'uploads', ModelVersion: '1', MinInferenceUnits: 1 }))),
  );
  expect([ra.status, rb.status]).toEqual(['fulfilled', 'fulfilled']);
  for (const gw of [a, b]) expect((await waitForStatus(client(gw.url), 'uploads', '1', ['HOSTED', 'HOSTING_FAILED'], 30_000)).Status).toBe('HOSTED');
});
