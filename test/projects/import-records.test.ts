import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateModelCommand,
  CreateProjectCommand,
  DeleteProjectCommand,
  DetectAnomaliesCommand,
  ListProjectsCommand,
  ListTagsForResourceCommand,
  StartModelCommand,
  TagResourceCommand,
} from '@aws-sdk/client-lookoutvision';
import { defectFor, png, textureRgb } from '../helpers/images';
import { freshDatabase } from '../helpers/postgres';
import { startGateway, type Running } from '../gateway/helpers';
import { client, createTrainDataset, LFV_ACCESS_KEYS, waitForStatus, writeS3Dataset } from '../compat/helpers';

/**
 * Scaling out loses nothing: a gateway that kept its records in files, restarted with
 * DATABASE_URL on the same data folder, still serves its hosted model and knows its projects
 * and tags, and a later start does not bring back what was deleted since.
 */

let dir: string;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let gw: Running | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-import-'));
  db = await freshDatabase();
});

afterAll(async () => {
  await gw?.stop();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

test('the first start with DATABASE_URL moves the data folder records into the database, once', async () => {
  const data = join(dir, 'data');
  const env = { LFV_ACCESS_KEYS, S3_BUCKETS: `import-bucket=${join(dir, 'bucket')}` };
  const key = await writeS3Dataset(join(dir, 'bucket'), 'import-bucket', 'parts', 12, 4);
  gw = await startGateway(data, env);
  let c = client(gw.url);
  const arn = (await c.send(new CreateProjectCommand({ ProjectName: 'parts' }))).ProjectMetadata!.ProjectArn!;
  await c.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'line', Value: '7' }] }));
  await c.send(new CreateProjectCommand({ ProjectName: 'spare' }));
  await createTrainDataset(c, 'parts', 'import-bucket', key);
  await c.send(new CreateModelCommand({ ProjectName: 'parts', OutputConfig: { S3Location: { Bucket: 'import-out' } } }));
  await waitForStatus(c, 'parts', '1', ['TRAINED']);
  await c.send(new StartModelCommand({ ProjectName: 'parts', ModelVersion: '1', MinInferenceUnits: 1 }));
  await waitForStatus(c, 'parts', '1', ['HOSTED']);
  await gw.stop();

  gw = await startGateway(data, { ...env, DATABASE_URL: db.url });
  c = client(gw.url);
  expect(((await c.send(new ListProjectsCommand({}))).Projects ?? []).map((p) => p.ProjectName).sort()).toEqual(['parts', 'spare']);
  expect((await c.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: 'line', Value: '7' }]);
  expect((await waitForStatus(c, 'parts', '1', ['HOSTED'])).Status).toBe('HOSTED');
  const r = await c.send(
    new DetectAnomaliesCommand({ ProjectName: 'parts', ModelVersion: '1', Body: await png(textureRgb(991, [defectFor(2)])), ContentType: 'image/png' }),
  );
  expect(r.DetectAnomalyResult!.IsAnomalous).toBe(true);
  await c.send(new DeleteProjectCommand({ ProjectName: 'spare' }));
  await gw.stop();

  // The files are still there (a backup), but the database is now what counts.
  gw = await startGateway(data, { ...env, DATABASE_URL: db.url });
  expect(((await client(gw.url).send(new ListProjectsCommand({}))).Projects ?? []).map((p) => p.ProjectName)).toEqual(['parts']);
}, 120_000);
