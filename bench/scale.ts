/**
 * `npm run bench:scale`: the gateway as replicas on one PostgreSQL, one S3 server (s3rver) and
 * Redis, each replica its own process (bench/servers/gateway-server.ts) on this machine.
 *
 * - uncached detection throughput through 1 replica, then through 2 (requests spread over both);
 *   both share this machine's cores with the client, Redis and PostgreSQL, so the ratio shows
 *   what a second replica adds here, bounded by the CPU, not what a second machine would;
 * - single-flight: 50 identical new uploads spread over both replicas, and the engine calls made;
 * - StopModel through one replica until the other refuses (target <= 1 s), five times;
 * - a replica SIGKILLed while it trains: time until the other holds the lease and until it
 *   finishes the training.
 * Needs PostgreSQL (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres) and
 * Redis (REDIS_URL, default redis://127.0.0.1:6379).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateDatasetCommand,
  CreateModelCommand,
  CreateProjectCommand,
  DescribeModelCommand,
  DetectAnomaliesCommand,
  LookoutVisionClient,
  StartModelCommand,
  StopModelCommand,
  type ModelStatus,
} from '@aws-sdk/client-lookoutvision';
import pg from 'pg';
import S3rver from 's3rver';
import { defectFor, png, textureRgb } from '../src/engine/demo/synthetic';

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const IMAGES = Number(process.env.BENCH_SCALE_IMAGES ?? 160);
const CONCURRENCY = 4;
const LEASE_MS = 4000;
const KEY = { accessKeyId: 'AKIASCALEBENCH000001', secretAccessKey: randomBytes(24).toString('hex') };
const ADMIN = randomBytes(24).toString('hex');

interface Replica {
  name: string;
  child: ChildProcess;
  url: string;
  lfv: LookoutVisionClient;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function startReplica(name: string, env: Record<string, string>): Promise<Replica> {
  const script = join(__dirname, 'servers', 'gateway-server.js');
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env, DATA_DIR: env.DATA_DIR + '-' + name },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`replica ${name} exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const lfv = new LookoutVisionClient({ endpoint: url, region: 'us-east-1', credentials: KEY, maxAttempts: 1 });
  return { name, child, url, lfv };
}

async function waitFor(r: Replica, version: string, want: ModelStatus[], timeoutMs = 300_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const d = (await r.lfv.send(new DescribeModelCommand({ ProjectName: 'parts', ModelVersion: version }))).ModelDescription!;
    if (want.includes(d.Status!)) return;
    if (Date.now() > until) throw new Error(`${r.name}: model ${version} stayed ${d.Status} (${d.StatusMessage})`);
    await sleep(20);
  }
}

const detect = (r: Replica, image: Buffer) =>
  r.lfv.send(new DetectAnomaliesCommand({ ProjectName: 'parts', ModelVersion: '1', Body: image, ContentType: 'image/png' }));

/** Detections of `images` (each once) spread round-robin over `replicas`, CONCURRENCY at a time; images a second. */
async function throughput(replicas: Replica[], images: Buffer[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < images.length; i = next++) await detect(replicas[i % replicas.length], images[i]);
    }),
  );
  return images.length / ((performance.now() - started) / 1000);
}

async function backendCalls(r: Replica): Promise<number> {
  const res = await fetch(`${r.url}/readyz`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await res.json()) as { detections: { backendCalls: number } }).detections.backendCalls;
}

async function main() {
  const work = await mkdtemp(join(tmpdir(), 'bench-scale-'));
  const dbName = `bench_scale_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const s3 = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: join(work, 's3'),
    configureBuckets: [{ name: 'bench-models', configs: [] }],
  });
  const { port: s3Port } = await s3.run();
  const replicas: Replica[] = [];
  const sql = new pg.Client({ connectionString: dbUrl.toString() });
  try {
    // A dataset in a bucket folder both replicas map.
    const bucket = join(work, 'bucket');
    await mkdir(join(bucket, 'parts'), { recursive: true });
    const lines: string[] = [];
    for (let i = 0; i < 40; i++) {
      const anomaly = i >= 32;
      await writeFile(join(bucket, 'parts', `${i}.png`), await png(textureRgb(100 + i, anomaly ? [defectFor(i)] : [])));
      const label = anomaly ? 'anomaly' : 'normal';
      lines.push(
        JSON.stringify({
          'source-ref': `s3://bench-bucket/parts/${i}.png`,
          'anomaly-label': anomaly ? 1 : 0,
          'anomaly-label-metadata': { 'class-name': label, type: 'groundtruth/image-classification' },
        }),
      );
    }
    await writeFile(join(bucket, 'parts', 'manifest.jsonl'), lines.join('\n') + '\n');
    const env = {
      DATA_DIR: join(work, 'data'),
      DATABASE_URL: dbUrl.toString(),
      ARTIFACTS_URL: 's3://bench-models/m',
      S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      CACHE_KEY_PREFIX: `bench-scale-${randomBytes(4).toString('hex')}:`,
      LFV_ACCESS_KEYS: `${KEY.accessKeyId}:${KEY.secretAccessKey}`,
      S3_BUCKETS: `bench-bucket=${bucket}`,
      PUBLIC_BASE_URL: 'http://bench.example',
      GRAPHQL_ADMIN_TOKEN: ADMIN,
      MASK_URL_KEYS: `k1:${randomBytes(24).toString('hex')}`,
      TRAINING_LEASE_MS: String(LEASE_MS),
      ENGINE_THREADS: '1',
      DEMO_MODEL: 'false',
    };
    const a = await startReplica('a', env);
    replicas.push(a);
    const trainStart = performance.now();
    await a.lfv.send(new CreateProjectCommand({ ProjectName: 'parts' }));
    await a.lfv.send(
      new CreateDatasetCommand({
        ProjectName: 'parts',
        DatasetType: 'train',
        DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: 'bench-bucket', Key: 'parts/manifest.jsonl' } } },
      }),
    );
    await a.lfv.send(new CreateModelCommand({ ProjectName: 'parts', OutputConfig: { S3Location: { Bucket: 'bench-out' } } }));
    await waitFor(a, '1', ['TRAINED']);
    console.log(`trained model 1 through replica a in ${((performance.now() - trainStart) / 1000).toFixed(1)} s (40 images, 128 px)`);
    await a.lfv.send(new StartModelCommand({ ProjectName: 'parts', ModelVersion: '1', MinInferenceUnits: 1 }));
    await waitFor(a, '1', ['HOSTED']);
    const b = await startReplica('b', env);
    replicas.push(b);
    await waitFor(b, '1', ['HOSTED']);
    // Each replica fetches and loads the model once before it is timed.
    await detect(a, await png(textureRgb(7)));
    await detect(b, await png(textureRgb(8)));

    const images = await Promise.all(Array.from({ length: 2 * IMAGES }, (_, i) => png(textureRgb(10_000 + i))));
    const one = await throughput([a], images.slice(0, IMAGES));
    const two = await throughput([a, b], images.slice(IMAGES));
    console.log(`\nuncached detections (${IMAGES} distinct 128 px images each, ${CONCURRENCY} in flight):`);
    console.log(`  1 replica : ${one.toFixed(1)} images/s`);
    console.log(
      `  2 replicas: ${two.toFixed(1)} images/s  (ratio ${(two / one).toFixed(2)}; both replicas, the client, Redis and PostgreSQL share this machine's cores)`,
    );

    const before = (await backendCalls(a)) + (await backendCalls(b));
    const same = await png(textureRgb(99_999, [defectFor(3)]));
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => detect(replicas[i % 2], same)));
    const calls = (await backendCalls(a)) + (await backendCalls(b)) - before;
    const agree = new Set(answers.map((r) => r.DetectAnomalyResult!.IsAnomalous)).size === 1;
    console.log(`\nsingle-flight: 50 identical new uploads over 2 replicas -> ${calls} engine call(s); answers agree: ${agree}`);

    const stops: number[] = [];
    for (let round = 0; round < 5; round++) {
      if (round > 0) {
        await a.lfv.send(new StartModelCommand({ ProjectName: 'parts', ModelVersion: '1', MinInferenceUnits: 1 }));
        await waitFor(a, '1', ['HOSTED']);
        await waitFor(b, '1', ['HOSTED']);
      }
      const probe = await png(textureRgb(7));
      await detect(b, probe); // cached: the refusal must come from the status, not the engine
      const t0 = performance.now();
      await a.lfv.send(new StopModelCommand({ ProjectName: 'parts', ModelVersion: '1' }));
      for (;;) {
        const refused = await detect(b, probe).then(
          () => false,
          (err: Error) => err.name === 'ConflictException',
        );
        if (refused) break;
        if (performance.now() - t0 > 10_000) throw new Error('replica b never refused the stopped model');
      }
      stops.push(performance.now() - t0);
      await waitFor(a, '1', ['TRAINED']);
    }
    console.log(`\nStopModel through a until b refuses: median ${median(stops).toFixed(0)} ms, max ${Math.max(...stops).toFixed(0)} ms (target <= 1000 ms)`);

    await sql.connect();
    const holders = async () => (await sql.query('SELECT holder FROM training_leases')).rows.map((r) => r.holder as string);
    await a.lfv.send(new CreateModelCommand({ ProjectName: 'parts', OutputConfig: { S3Location: { Bucket: 'bench-out' } } }));
    while ((await holders()).length === 0) await sleep(10);
    const [first] = await holders();
    const killed = performance.now();
    a.child.kill('SIGKILL');
    let takenAt = 0;
    for (;;) {
      const h = await holders();
      if (h.length && h[0] !== first) {
        takenAt = performance.now();
        break;
      }
      if (performance.now() - killed > 120_000) throw new Error('nobody took the training over');
      await sleep(20);
    }
    await waitFor(b, '2', ['TRAINED']);
    console.log(
      `\ntraining takeover (TRAINING_LEASE_MS ${LEASE_MS}): replica a SIGKILLed mid-training; b held the lease after ${((takenAt - killed) / 1000).toFixed(1)} s and finished the training after ${((performance.now() - killed) / 1000).toFixed(1)} s`,
    );
  } finally {
    for (const r of replicas) {
      if (r.child.exitCode === null) r.child.kill('SIGTERM');
      r.lfv.destroy();
    }
    await Promise.all(replicas.map((r) => (r.child.exitCode === null ? new Promise((res) => r.child.on('exit', res)) : null)));
    await sql.end().catch(() => {});
    await s3.close();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
