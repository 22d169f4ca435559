import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AccessDeniedException,
  CreateProjectCommand,
  DetectAnomaliesCommand,
  ListProjectsCommand,
  ServiceQuotaExceededException,
  ThrottlingException,
} from '@aws-sdk/client-lookoutvision';
import { png, textureRgb } from '../helpers/images';
import { dataDirWithDemoModel, spawnGateway, startGateway } from '../gateway/helpers';
import { client, thrown } from './helpers';

/**
 * How the endpoint runs without keys (anonymous, and loudly so; off in production), and the
 * quota and throttling exceptions.
 */

const children: ChildProcess[] = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-modes-'));
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

test('without keys the endpoint is anonymous, says so at start-up, and takes any signature or none', async () => {
  const g = await spawnGateway({ DATA_DIR: join(dir, 'anon') });
  children.push(g.child);
  expect(g.output()).toMatch(/ANONYMOUS mode: LFV_ACCESS_KEYS is not set/);
  const anyone = client(g.url, { accessKeyId: 'ANYTHING', secretAccessKey: 'whatever' });
  await anyone.send(new CreateProjectCommand({ ProjectName: 'newcomer' }));
  anyone.destroy();
  const unsigned = await fetch(`${g.url}/2020-11-20/projects`);
  expect(unsigned.status).toBe(200);
  expect(((await unsigned.json()) as any).Projects.map((p: { ProjectName: string }) => p.ProjectName)).toEqual(['newcomer']);
});

test('in production without keys the endpoint is off and says why', async () => {
  const g = await spawnGateway({ DATA_DIR: join(dir, 'prod'), NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://lookout.example' });
  children.push(g.child);
  expect(g.output()).toMatch(/Lookout for Vision endpoint \/2020-11-20\/ is OFF: NODE_ENV=production and LFV_ACCESS_KEYS is not set/);
  const r = await fetch(`${g.url}/2020-11-20/projects`);
  expect(r.status).toBe(403);
  expect(r.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
  expect(((await r.json()) as any).Message).toMatch(/LFV_ACCESS_KEYS/);
  const sdk = client(g.url);
  const denied = await thrown(() => sdk.send(new ListProjectsCommand({})));
  sdk.destroy();
  expect(denied).toBeInstanceOf(AccessDeniedException);
  expect(denied.$metadata.httpStatusCode).toBe(403);
  // GraphQL is unaffected.
  expect((await fetch(`${g.url}/healthz`)).status).toBe(200);
});

test('a quota is ServiceQuotaExceededException (402) with its codes; a full detector queue is ThrottlingException with Retry-After', async () => {
  const data = await dataDirWithDemoModel();
  const gw = await startGateway(data.path, { MAX_PROJECTS: '2', ENGINE_QUEUE_LIMIT: '0' });
  const lfv = client(gw.url, { accessKeyId: 'ANY', secretAccessKey: 'any' });
  try {
    await lfv.send(new CreateProjectCommand({ ProjectName: 'second' })); // "demo" is the first
    const quota = await thrown(() => lfv.send(new CreateProjectCommand({ ProjectName: 'third' })));
    expect(quota).toBeInstanceOf(ServiceQuotaExceededException);
    expect(quota).toMatchObject({ QuotaCode: 'MAX_PROJECTS', ServiceCode: 'lookoutvision' });
    expect(quota.$metadata.httpStatusCode).toBe(402);
    expect((await lfv.send(new ListProjectsCommand({}))).Projects!.map((p) => p.ProjectName)).toEqual(['demo', 'second']);

    // The engine takes one image at a time and may queue none: of six at once, some are turned away.
    const images = await Promise.all([1, 2, 3, 4, 5, 6].map((s) => png(textureRgb(700 + s))));
    const replies = await Promise.all(
      images.map((img) =>
        fetch(`${gw.url}/2020-11-20/projects/demo/models/1/detect`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(img) }),
      ),
    );
    const throttled = replies.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(replies.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(throttled[0].headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    expect(throttled[0].headers.get('retry-after')).toBe('1');

    // Through the SDK (other images, so the cache cannot answer), the class and its RetryAfterSeconds.
    const others = await Promise.all([1, 2, 3, 4, 5, 6].map((s) => png(textureRgb(800 + s))));
    const sdkReplies = await Promise.allSettled(
      others.map((img) => lfv.send(new DetectAnomaliesCommand({ ProjectName: 'demo', ModelVersion: '1', Body: img, ContentType: 'image/png' }))),
    );
    const rejected = sdkReplies.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0].reason).toBeInstanceOf(ThrottlingException);
    expect(rejected[0].reason.RetryAfterSeconds).toBe(1);
  } finally {
    lfv.destroy();
    await gw.stop();
    await data.cleanup();
  }
});
