import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateModelCommand, CreateProjectCommand, DetectAnomaliesCommand, StartModelCommand } from '@aws-sdk/client-lookoutvision';
import { defectFor, png, textureRgb } from '../helpers/images';
import { spawnGateway, startGateway, type Running } from '../gateway/helpers';
import { client, createTrainDataset, LFV_ACCESS_KEYS, signedFetch, waitForStatus, writeS3Dataset } from './helpers';

/**
 * State survives the gateway: a process killed outright (SIGKILL, no shutdown) leaves records
 * a new process resumes from. A hosted model comes back hosted; a training cut short runs again;
 * a client token still replays.
 */

let dir: string;
let child: ChildProcess | undefined;
let gw: Running | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-restart-'));
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await gw?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('after a SIGKILL, a hosted model is hosted again and an interrupted training runs again', async () => {
  const env = { DATA_DIR: join(dir, 'data'), LFV_ACCESS_KEYS, S3_BUCKETS: `restart-bucket=${join(dir, 'bucket')}` };
  const key = await writeS3Dataset(join(dir, 'bucket'), 'restart-bucket', 'parts', 24, 6);
  const first = await spawnGateway(env);
  child = first.child;
  const a = client(first.url);
  const token = await signedFetch(first.url, 'POST', '/2020-11-20/projects', {
    body: JSON.stringify({ ProjectName: 'parts' }),
    headers: { 'x-amzn-client-token': 'survives-restart' },
  });
  expect(token.status).toBe(200);
  await createTrainDataset(a, 'parts', 'restart-bucket', key);
  await a.send(new CreateModelCommand({ ProjectName: 'parts', OutputConfig: { S3Location: { Bucket: 'restart-out' } } }));
  await waitForStatus(a, 'parts', '1', ['TRAINED']);
  await a.send(new StartModelCommand({ ProjectName: 'parts', ModelVersion: '1', MinInferenceUnits: 1 }));
  await waitForStatus(a, 'parts', '1', ['HOSTED']);
  await a.send(new CreateModelCommand({ ProjectName: 'parts', OutputConfig: { S3Location: { Bucket: 'restart-out' } } }));
  const killed = new Promise((r) => child!.on('exit', r));
  child.kill('SIGKILL');
  await killed;
  a.destroy();
  // The 202 was sent after the record was written: on disk, version 2 is mid-training.
  const onDisk = JSON.parse(await readFile(join(dir, 'data', 'projects', 'parts', 'models', '2.json'), 'utf8'));
  expect(onDisk.status).toBe('TRAINING');

  gw = await startGateway(env.DATA_DIR, { LFV_ACCESS_KEYS, S3_BUCKETS: env.S3_BUCKETS });
  const b = client(gw.url);
  const r = await b.send(
    new DetectAnomaliesCommand({ ProjectName: 'parts', ModelVersion: '1', Body: await png(textureRgb(990, [defectFor(1)])), ContentType: 'image/png' }),
  );
  expect(r.DetectAnomalyResult!.IsAnomalous).toBe(true);
  expect((await waitForStatus(b, 'parts', '1', ['HOSTED'])).Status).toBe('HOSTED');
  const resumed = await waitForStatus(b, 'parts', '2', ['TRAINED', 'TRAINING_FAILED']);
  expect(resumed.Status).toBe('TRAINED');
  // The token from before the crash still names the same answer.
  const replay = await signedFetch(gw.url, 'POST', '/2020-11-20/projects', {
    body: JSON.stringify({ ProjectName: 'parts' }),
    headers: { 'x-amzn-client-token': 'survives-restart' },
  });
  expect(replay.body).toEqual(token.body);
  b.destroy();
}, 120_000);

test('SIGTERM during a training does not wait for it: the process exits 0 and the next start trains again', async () => {
  const env = { DATA_DIR: join(dir, 'term'), LFV_ACCESS_KEYS, S3_BUCKETS: `term-bucket=${join(dir, 'term-bucket')}` };
  const key = await writeS3Dataset(join(dir, 'term-bucket'), 'term-bucket', 'rolls', 40, 6);
  const g = await spawnGateway(env);
  child = g.child;
  const a = client(g.url);
  await a.send(new CreateProjectCommand({ ProjectName: 'rolls' }));
  await createTrainDataset(a, 'rolls', 'term-bucket', key);
  await a.send(new CreateModelCommand({ ProjectName: 'rolls', OutputConfig: { S3Location: { Bucket: 'term-out' } } }));
  a.destroy();
  const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  // Had shutdown waited for the training, the record would say TRAINED.
  const onDisk = JSON.parse(await readFile(join(env.DATA_DIR, 'projects', 'rolls', 'models', '1.json'), 'utf8'));
  expect(onDisk.status).toBe('TRAINING');
  expect(g.output()).toMatch(/training interrupted by shutdown/);
  expect(g.output()).not.toMatch(/"level":50/); // no error logged for it

  const again = await startGateway(env.DATA_DIR, { LFV_ACCESS_KEYS, S3_BUCKETS: env.S3_BUCKETS });
  const b = client(again.url);
  try {
    expect((await waitForStatus(b, 'rolls', '1', ['TRAINED', 'TRAINING_FAILED'])).Status).toBe('TRAINED');
  } finally {
    b.destroy();
    await again.stop();
  }
}, 120_000);
