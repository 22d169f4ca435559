import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defectFor, png, textureRgb } from '../helpers/images';
import { startGateway, type Running } from '../gateway/helpers';
import { ACCESS_KEY, LFV_ACCESS_KEYS, writeS3Dataset } from './helpers';

/**
 * boto3 as a second, independent client. Debian's python3-boto3 still ships the service model
 * (botocore on PyPI dropped it); .ci/run installs it. Without it this test is skipped, loudly.
 */
const PYTHON = '/usr/bin/python3';
const hasBoto3 = spawnSync(PYTHON, ['-c', 'import boto3'], { stdio: 'ignore' }).status === 0;
if (!hasBoto3) console.warn(`${PYTHON} cannot import boto3: the boto3 test is skipped (apt-get install python3-boto3)`);

let dir: string;
let gw: Running;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-boto3-'));
  gw = await startGateway(join(dir, 'data'), { LFV_ACCESS_KEYS, S3_BUCKETS: `boto-bucket=${join(dir, 'bucket')}` });
});

afterAll(async () => {
  await gw?.stop();
  await rm(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(__dirname, 'boto3_lifecycle.py'), ...args], { env: { PATH: process.env.PATH, HOME: dir } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`boto3 script exited ${code}:\n${err}`))));
  });
}

(hasBoto3 ? test : test.skip)(
  'boto3 drives the same lifecycle and raises the exceptions it models',
  async () => {
    const key = await writeS3Dataset(join(dir, 'bucket'), 'boto-bucket', 'parts', 12, 6);
    const image = join(dir, 'probe.png');
    await writeFile(image, await png(textureRgb(950, [defectFor(2)])));
    const r = JSON.parse(await run([gw.url, ACCESS_KEY.accessKeyId, ACCESS_KEY.secretAccessKey, 'boto-bucket', key, image]));

    expect(r.project).toEqual({ name: 'boto', arn: 'arn:aws:lookoutvision:us-east-1:000000000000:project/boto', createdIsDatetime: true });
    expect(r.imageStats).toEqual({ Total: 18, Labeled: 18, Normal: 12, Anomaly: 6 });
    expect(r.entries).toBe(18);
    expect(r.createModel).toEqual({ status: 'TRAINING', version: '1', http: 202 });
    expect(r.trained.status).toBe('TRAINED');
    expect(r.trained.f1).toBeGreaterThan(0);
    expect(r.trained.evaluation).toBe('boto-output');
    expect(r.detectBeforeStart).toEqual({ class: 'ConflictException', code: 'ConflictException', resourceType: 'MODEL', status: 409 });
    expect(r.start).toEqual({ status: 'STARTING_HOSTING', http: 202 });
    expect(r.hosted).toBe('HOSTED');
    expect(r.detect.isAnomalous).toBe(true);
    expect(r.detect.anomalies[0]).toBe('background');
    expect(r.detect.anomalies).toContain('cracked');
    expect(r.detect.maskIsPng).toBe(true);
    expect(r.badContentType).toMatchObject({
      class: 'ValidationException',
      message: 'content-type must be one of the following. image/jpeg, image/png',
      status: 400,
    });
    expect(r.deleteHosted).toMatchObject({ class: 'ConflictException', resourceType: 'MODEL' });
    expect([r.stop, r.stopped, r.deleteModel]).toEqual(['STOPPING_HOSTING', 'TRAINED', 202]);
    expect(r.describeDeleted).toEqual({ class: 'ResourceNotFoundException', code: 'ResourceNotFoundException', resourceType: 'MODEL', status: 404 });
    expect(r.unknownProject).toMatchObject({ class: 'ResourceNotFoundException', resourceType: 'PROJECT' });
    expect(r.badName).toMatchObject({ class: 'ValidationException', status: 400 });
    expect(r.forged).toEqual({ class: 'ClientError', code: 'InvalidSignatureException', status: 403 });
    expect(r.deleteProject).toBe('arn:aws:lookoutvision:us-east-1:000000000000:project/boto');
  },
  120_000,
);
