import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateModelCommand, CreateProjectCommand, DescribeModelCommand } from '@aws-sdk/client-lookoutvision';
import pg from 'pg';
import S3rver from 's3rver';
import { freshDatabase } from '../helpers/postgres';
import { eventually } from '../helpers/eventually';
import { spawnGateway, startGateway, type Running } from '../gateway/helpers';
import { client, createTrainDataset, LFV_ACCESS_KEYS, waitForStatus, writeS3Dataset } from '../compat/helpers';

/**
 * A replica killed (SIGKILL) while it trains: its lease lapses and the other replica takes the
 * training over and finishes it, with nobody else holding it meanwhile. Leases last 2 s here.
 */

const BUCKET = 'takeover-artifacts';
let dir: string;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let s3: S3rver;
let s3Port: number;
let child: ChildProcess | undefined;
let b: Running | undefined;
let sql: pg.Client;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-takeover-'));
  db = await freshDatabase();
  s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: BUCKET, configs: [] }] });
  s3Port = (await s3.run()).port;
  sql = new pg.Client({ connectionString: db.url });
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await b?.stop();
  await sql?.end().catch(() => {});
  await s3?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const leases = async () => (await sql.query('SELECT holder FROM training_leases')).rows.map((r) => r.holder as string);

test('after SIGKILL mid-training, the other replica finishes the training once the lease lapses', async () => {
  const env = {
    DATABASE_URL: db.url,
    ARTIFACTS_URL: `s3://${BUCKET}/m`,
    S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    LFV_ACCESS_KEYS,
    S3_BUCKETS: `takeover-bucket=${join(dir, 'bucket')}`,
    TRAINING_LEASE_MS: '2000',
  };
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
  const key = await writeS3Dataset(join(dir, 'bucket'), 'takeover-bucket', 'parts', 40, 6);
  const a = await spawnGateway({ ...env, DATA_DIR: join(dir, 'a') });
  child = a.child;
  b = await startGateway(join(dir, 'b'), env);
  await sql.connect();

  const ca = client(a.url);
  await ca.send(new CreateProjectCommand({ ProjectName: 'parts' }));
  await createTrainDataset(ca, 'parts', 'takeover-bucket', key);
  await ca.send(new CreateModelCommand({ ProjectName: 'parts', OutputConfig: { S3Location: { Bucket: 'takeover-out' } } }));
  // A holds the training...
  const until = Date.now() + 10_000;
  while ((await leases()).length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const [aHolder] = await leases();
  expect(aHolder).toBeDefined();
  // B shows A's progress: A writes it into its lease with each renewal (a third of a lease).
  const seenOnB = await eventually(
    async () => {
      const res = await fetch(`${b!.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ model(projectName: "parts", version: "1") { status training { stage done total startedAt } } }' }),
      });
      return ((await res.json()) as any).data.model;
    },
    (m) => m.training && m.training.stage !== 'waiting',
    5_000,
    50,
  );
  expect(seenOnB).toMatchObject({ status: 'TRAINING', training: { startedAt: expect.any(String) } });
  expect(seenOnB.training.stage).not.toBe('waiting');
  // ...and dies without a word.
  const dead = new Promise((r) => child!.on('exit', r));
  child.kill('SIGKILL');
  await dead;
  ca.destroy();

  const cb = client(b.url);
  expect((await cb.send(new DescribeModelCommand({ ProjectName: 'parts', ModelVersion: '1' }))).ModelDescription!.Status).toBe('TRAINING');
  // B takes it over: only once A's lease lapsed, and then as the only holder.
  const holders = new Set<string>();
  const watch = setInterval(
    () =>
      void leases().then(
        (h) => h.forEach((x) => holders.add(x)),
        () => {},
      ),
    50,
  );
  try {
    const done = await waitForStatus(cb, 'parts', '1', ['TRAINED', 'TRAINING_FAILED'], 120_000);
    expect(done.Status).toBe('TRAINED');
  } finally {
    clearInterval(watch);
  }
  holders.delete(aHolder);
  expect(holders.size).toBe(1);
  expect(await leases()).toEqual([]);
  cb.destroy();
}, 180_000);
