import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { s3Client } from '../../src/projects/s3-objects';
import { png, textureRgb } from '../helpers/images';
import { MVTEC_TYPES, writeMvtecFolder } from '../helpers/mvtec';
import { detect, startGateway, type Running } from './helpers';

/**
 * `createDataset(input: { folderUrl })` reads a folder in a bucket as a user of anomalib has it
 * (MVTec AD layout) or as Lookout for Vision's console imported it: on an S3-compatible store
 * (s3rver) and in a folder mapped by S3_BUCKETS. TRAIN and TEST from one folder split it without
 * overlap; the model learns each defect folder as a type and detects it through GraphQL.
 */

const TOKEN = 'admin-token-for-tests-0123456789abcdef';
const admin = { authorization: `Bearer ${TOKEN}` };
let dir: string;
let s3: S3rver;
let gw: Running;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-folders-'));
  s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: 'mvtec', configs: [] }] });
  const endpoint = `http://127.0.0.1:${(await s3.run()).port}`;
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  const client = s3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
  try {
    await writeMvtecFolder('bottle', { trainGood: 10, testGood: 4, perType: 4 }, async (key, bytes) => {
      await client.send(new PutObjectCommand({ Bucket: 'mvtec', Key: `bottle/${key}`, Body: bytes }));
    });
    await client.send(new PutObjectCommand({ Bucket: 'mvtec', Key: 'notes/readme.txt', Body: 'not a dataset' }));
  } finally {
    client.destroy();
  }
  const local = join(dir, 'local');
  for (const [label, seeds] of [
    ['normal', [1, 2, 3, 4, 5, 6]],
    ['anomaly', [7]],
  ] as const) {
    await mkdir(join(local, 'parts', label), { recursive: true });
    for (const s of seeds) await writeFile(join(local, 'parts', label, `${s}.png`), await png(textureRgb(s, label === 'anomaly' ? [MVTEC_TYPES.hole(s)] : [])));
  }
  gw = await startGateway(join(dir, 'data'), { GRAPHQL_ADMIN_TOKEN: TOKEN, S3_ENDPOINT: endpoint, S3_BUCKETS: `local=${local}` });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...admin },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as any;
}

const CREATE = `mutation($i: CreateDatasetInput!) { createDataset(input: $i) { type status statusMessage imageStats { total normal anomaly } entries(first: 100) { edges { node { sourceRef } } } } }`;

async function waitTrained(project: string) {
  for (let i = 0; i < 1200; i++) {
    const m = (await gql(`{ model(projectName: "${project}", version: "1") { status statusMessage type } }`)).data.model;
    if (m.status !== 'TRAINING') return m;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('training never ended');
}

test('an MVTec folder in a bucket: TRAIN and TEST split it, and the model learns each defect folder as a type', async () => {
  await gql(`mutation { createProject(input: { name: "bottle" }) { name } }`);
  const train = (await gql(CREATE, { i: { projectName: 'bottle', type: 'TRAIN', folderUrl: 's3://mvtec/bottle/' } })).data.createDataset;
  expect(train).toMatchObject({
    status: 'CREATE_COMPLETE',
    statusMessage: 'Created from the folder s3://mvtec/bottle/.',
    imageStats: { total: 14, normal: 10, anomaly: 4 },
  });
  // The prefix may be given without its slash.
  const test = (await gql(CREATE, { i: { projectName: 'bottle', type: 'TEST', folderUrl: 's3://mvtec/bottle' } })).data.createDataset;
  expect(test.imageStats).toEqual({ total: 8, normal: 4, anomaly: 4 });
  const refs = (d: any) => d.entries.edges.map((e: any) => e.node.sourceRef as string);
  expect(refs(train).filter((r: string) => refs(test).includes(r))).toEqual([]);
  expect(refs(train)[0]).toBe('s3://mvtec/bottle/train/good/000.png');

  expect((await gql(`mutation { trainModel(input: { projectName: "bottle" }) { status } }`)).data.trainModel.status).toBe('TRAINING');
  expect(await waitTrained('bottle')).toMatchObject({ status: 'TRAINED', type: 'SEGMENTATION' });

  const stain = await detect(gw.url, await png(textureRgb(9100, [MVTEC_TYPES.stain(40)])), { project: 'bottle', version: '1' });
  expect(stain.body.errors).toBeUndefined();
  const result = stain.body.data.detectAnomalies;
  expect(result.isAnomalous).toBe(true);
  const types = result.anomalies.filter((a: any) => a.name !== 'background');
  expect(types.map((a: any) => a.name)).toContain('stain');
  for (const a of types) expect(['#FFFFFF', '#000000']).not.toContain(a.pixelAnomaly.color);
  const good = await detect(gw.url, await png(textureRgb(9200)), { project: 'bottle', version: '1' });
  expect(good.body.data.detectAnomalies.isAnomalous).toBe(false);
}, 120_000);

test('a Lookout for Vision folder in a mapped bucket goes whole to the dataset asked for', async () => {
  await gql(`mutation { createProject(input: { name: "parts" }) { name } }`);
  const d = (await gql(CREATE, { i: { projectName: 'parts', folderUrl: 's3://local/parts/' } })).data.createDataset;
  expect(d.imageStats).toEqual({ total: 7, normal: 6, anomaly: 1 });
});

test('a folder in neither layout, a bad share or a share without a folder is a typed error, and no dataset is made', async () => {
  await gql(`mutation { createProject(input: { name: "empty" }) { name } }`);
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ folderUrl: 's3://mvtec/notes/' }, 'DATASET_INVALID', /neither a Lookout for Vision folder .* nor an MVTec AD/],
    [{ folderUrl: 's3://mvtec/' }, 'DATASET_INVALID', /1 MVTec categories \(bottle\); give one of them/],
    [{ folderUrl: 's3://local/nowhere/' }, 'DATASET_INVALID', /not a folder the gateway can read/],
    [{ folderUrl: 's3://mvtec/bottle/', defectsInTraining: 1.5 }, 'BAD_USER_INPUT', /defectsInTraining must be a share between 0 and 1/],
    [{ defectsInTraining: 0.3 }, 'BAD_USER_INPUT', /defectsInTraining goes with folderUrl/],
    [{ folderUrl: 'https://mvtec/bottle/' }, 'BAD_USER_INPUT', /folderUrl must look like s3:\/\/bucket\/prefix\//],
    [{ folderUrl: 's3://mvtec/bottle/', manifestUrl: 's3://mvtec/x.manifest' }, 'BAD_USER_INPUT', /not manifestUrl and folderUrl/],
  ];
  for (const [input, code, message] of cases) {
    const r = await gql(CREATE, { i: { projectName: 'empty', ...input } });
    expect(r.errors?.[0]).toMatchObject({ extensions: { code }, message: expect.stringMatching(message) });
  }
  expect((await gql(`{ project(name: "empty") { datasets { type } } }`)).data.project.datasets).toEqual([]);
});
