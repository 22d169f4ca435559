import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateProjectCommand,
  DeleteProjectCommand,
  DescribeProjectCommand,
  ListProjectsCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
} from '@aws-sdk/client-lookoutvision';
import { startGateway, type Running } from '../gateway/helpers';
import { client, LFV_ACCESS_KEYS, signedFetch, thrown } from '../compat/helpers';
import { eventually } from '../helpers/eventually';
import { freshDatabase } from '../helpers/postgres';

/**
 * Two gateways, each with its own data folder, on one PostgreSQL (DATABASE_URL): what one is
 * told, the other knows; racing on the same change gives one result; a restart loses nothing.
 */

let dir: string;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let a: Running;
let b: Running;

const start = (name: string) => startGateway(join(dir, name), { DATABASE_URL: db.url, LFV_ACCESS_KEYS });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-shared-'));
  db = await freshDatabase();
  a = await start('a');
  b = await start('b');
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const names = async (gw: Running) => ((await client(gw.url).send(new ListProjectsCommand({}))).Projects ?? []).map((p) => p.ProjectName).sort();

test('a project made through one replica is listed, tagged and deleted through the other', async () => {
  await client(a.url).send(new CreateProjectCommand({ ProjectName: 'line-1' }));
  expect(
    await eventually(
      () => names(b),
      (n) => n.includes('line-1'),
    ),
  ).toContain('line-1');
  const arn = (await client(b.url).send(new DescribeProjectCommand({ ProjectName: 'line-1' }))).ProjectDescription!.ProjectArn!;
  // Both replicas tag at once: one write finds the other's revision, reads again and retries.
  await Promise.all([
    client(a.url).send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'from', Value: 'a' }] })),
    client(b.url).send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'site', Value: 'b' }] })),
  ]);
  const tags = async (gw: Running) => (await client(gw.url).send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags ?? [];
  for (const gw of [a, b]) {
    const seen = await eventually(
      () => tags(gw),
      (t) => t.length === 2,
    );
    expect(seen.map((t) => `${t.Key}=${t.Value}`).sort()).toEqual(['from=a', 'site=b']);
  }
  await client(b.url).send(new DeleteProjectCommand({ ProjectName: 'line-1' }));
  expect(
    await eventually(
      () => names(a),
      (n) => !n.includes('line-1'),
    ),
  ).not.toContain('line-1');
});

test('two replicas creating the same project at once: one succeeds, the other is a conflict', async () => {
  const results = await Promise.allSettled([a, b].map((gw) => client(gw.url).send(new CreateProjectCommand({ ProjectName: 'raced' }))));
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  expect(failed.reason.name).toBe('ConflictException');
  expect(
    await eventually(
      () => names(b),
      (n) => n.includes('raced'),
    ),
  ).toContain('raced');
});

test('a request retried with its client token on the other replica gets the first answer', async () => {
  const create = (gw: Running, name: string) =>
    signedFetch(gw.url, 'POST', '/2020-11-20/projects', { body: JSON.stringify({ ProjectName: name }), headers: { 'x-amzn-client-token': 'retry-me' } });
  const first = await create(a, 'tokened');
  expect(first.status).toBe(200);
  const again = await create(b, 'tokened');
  expect(again.status).toBe(200);
  expect(again.body).toEqual(first.body);
  expect(first.body.ProjectMetadata.ProjectName).toBe('tokened');
  // The same token with other parameters is a conflict, wherever it lands.
  expect((await create(b, 'other')).status).toBe(409);
});

test('restarting both replicas loses nothing', async () => {
  await client(b.url).send(new CreateProjectCommand({ ProjectName: 'kept' }));
  await a.stop();
  await b.stop();
  a = await start('a2');
  b = await start('b2');
  expect(await names(a)).toEqual(expect.arrayContaining(['kept', 'raced']));
  expect(await names(b)).toEqual(expect.arrayContaining(['kept', 'raced']));
  expect((await thrown(() => client(a.url).send(new CreateProjectCommand({ ProjectName: 'kept' })))).name).toBe('ConflictException');
});
