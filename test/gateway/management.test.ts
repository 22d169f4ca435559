import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateModelCommand, DescribeModelCommand, DescribeProjectCommand, TagResourceCommand } from '@aws-sdk/client-lookoutvision';
import { defectFor, png, textureRgb } from '../helpers/images';
import { client } from '../compat/helpers';
import { detect, multipart, postMultipart, startGateway, type Running } from './helpers';

/**
 * Model management over GraphQL: the same registry and lifecycle as the Lookout for Vision
 * endpoint, with uploads instead of buckets, start-on-first-use, and an admin token.
 */

const TOKEN = 'admin-token-for-tests-0123456789abcdef';
let dir: string;
let gw: Running;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-mgmt-'));
  gw = await startGateway(join(dir, 'data'), { GRAPHQL_ADMIN_TOKEN: TOKEN });
});

afterAll(async () => {
  await gw?.stop();
  await rm(dir, { recursive: true, force: true });
});

const admin = { authorization: `Bearer ${TOKEN}` };

async function gql(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = admin) {
  const res = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const MODEL = `query M($p: String!, $v: String!) {
  model(projectName: $p, version: $v) { version status statusMessage description type performance { f1Score } training { stage done total startedAt } }
}`;

/** Every `training` progress seen while polling, for the test that watches one training. */
const progressSeen: { stage: string; done: number; total: number; startedAt: string | null }[] = [];

async function waitFor(project: string, version: string, statuses: string[]) {
  for (let i = 0; i < 2400; i++) {
    const m = (await gql(MODEL, { p: project, v: version })).body.data.model;
    if (m.training) progressSeen.push(m.training);
    if (statuses.includes(m.status)) return m;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`model ${project}/${version} never reached ${statuses}`);
}

test('without the admin token the management mutations are FORBIDDEN and change nothing', async () => {
  const r = await gql(`mutation { createProject(name: "intruder") { name } }`, {}, {});
  expect(r.status).toBe(403);
  expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
  // A wrong credential is not taken for no credential: it is refused outright.
  const wrong = await gql(`mutation { createProject(name: "intruder") { name } }`, {}, { authorization: 'Bearer not-the-token' });
  expect(wrong.status).toBe(401);
  expect(wrong.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  expect((await gql(`{ project(name: "intruder") { name } }`)).body.data.project).toBeNull();
});

test('create a project and a dataset from uploads, train, detect (which starts the model), stop, delete', async () => {
  expect((await gql(`mutation { createProject(name: "widgets") { name createdAt datasets { type } } }`)).body.data.createProject).toMatchObject({
    name: 'widgets',
    datasets: [],
  });

  const normals = await Promise.all(Array.from({ length: 10 }, (_, i) => png(textureRgb(300 + i))));
  const anomalies = await Promise.all(Array.from({ length: 5 }, (_, i) => png(textureRgb(600 + i, [defectFor(i)]))));
  const CREATE = `mutation C($n: [Upload!], $a: [Upload!]) { createDataset(input: { projectName: "widgets", normalImages: $n, anomalyImages: $a }) { projectName type status imageStats { total labeled normal anomaly } } }`;
  const files = [...normals.map((bytes, i) => ({ path: `variables.n.${i}`, bytes })), ...anomalies.map((bytes, i) => ({ path: `variables.a.${i}`, bytes }))];
  const created = await postMultipart(gw.url, multipart(CREATE, { n: normals.map(() => null), a: anomalies.map(() => null) }, files), {
    'apollo-require-preflight': 'true',
    ...admin,
  });
  expect(created.body.errors).toBeUndefined();
  expect(created.body.data.createDataset).toEqual({
    projectName: 'widgets',
    type: 'TRAIN',
    status: 'CREATE_COMPLETE',
    imageStats: { total: 15, labeled: 15, normal: 10, anomaly: 5 },
  });

  // The same image twice is one entry; a new one is added.
  const ADD = `mutation A($n: [Upload!]) { addDatasetImages(input: { projectName: "widgets", normalImages: $n }) { status imageStats { total normal } } }`;
  const extra = await png(textureRgb(399));
  const added = await postMultipart(
    gw.url,
    multipart(ADD, { n: [null, null] }, [
      { path: 'variables.n.0', bytes: normals[0] },
      { path: 'variables.n.1', bytes: extra },
    ]),
    { 'apollo-require-preflight': 'true', ...admin },
  );
  expect(added.body.data.addDatasetImages).toEqual({ status: 'UPDATE_COMPLETE', imageStats: { total: 16, normal: 11 } });

  const trained = await gql(`mutation { trainModel(input: { projectName: "widgets", description: "gql-1" }) { version status description } }`);
  expect(trained.body.data.trainModel).toEqual({ version: '1', status: 'TRAINING', description: 'gql-1' });
  progressSeen.length = 0;
  const done = await waitFor('widgets', '1', ['TRAINED', 'TRAINING_FAILED']);
  expect(done).toMatchObject({ status: 'TRAINED', statusMessage: 'Training completed successfully.', type: 'CLASSIFICATION', training: null });
  // While it trained, the model said how far it had got: engine stages with counts, since a start time.
  const working = progressSeen.filter((p) => p.stage !== 'waiting' && p.stage !== 'starting');
  expect(working.length).toBeGreaterThan(0);
  for (const p of working) {
    expect(p.done).toBeLessThanOrEqual(p.total || p.done);
    expect(Date.parse(p.startedAt!)).toBeLessThanOrEqual(Date.now());
  }
  expect(working.some((p) => /features|calibration|coreset/.test(p.stage))).toBe(true);

  // The protocol sees the same model (anonymous mode: no keys in this gateway).
  const lfv = client(gw.url, { accessKeyId: 'ANY', secretAccessKey: 'any' });
  expect((await lfv.send(new DescribeModelCommand({ ProjectName: 'widgets', ModelVersion: '1' }))).ModelDescription).toMatchObject({
    Status: 'TRAINED',
    Description: 'gql-1',
  });
  expect((await lfv.send(new DescribeProjectCommand({ ProjectName: 'widgets' }))).ProjectDescription!.Datasets).toHaveLength(1);

  // Start on first use: a GraphQL detection with a TRAINED model starts it.
  const r = await detect(gw.url, anomalies[0], { project: 'widgets', version: '1' });
  expect(r.body.errors).toBeUndefined();
  expect(r.body.data.detectAnomalies).toMatchObject({ model: { status: 'HOSTED' }, anomalies: null, anomalyMask: null });
  expect((await lfv.send(new DescribeModelCommand({ ProjectName: 'widgets', ModelVersion: '1' }))).ModelDescription!.Status).toBe('HOSTED');
  lfv.destroy();

  const busy = await gql(`mutation { deleteModel(projectName: "widgets", version: "1") { status } }`);
  expect(busy.status).toBe(409);
  expect(busy.body.errors[0].extensions).toMatchObject({ code: 'RESOURCE_CONFLICT', resourceType: 'MODEL', resourceId: 'widgets/1' });
  expect((await gql(`mutation { stopModel(projectName: "widgets", version: "1") { status } }`)).body.data.stopModel.status).toBe('STOPPING_HOSTING');
  await waitFor('widgets', '1', ['TRAINED']);
  expect((await gql(`mutation { deleteModel(projectName: "widgets", version: "1") { version status } }`)).body.data.deleteModel).toEqual({
    version: '1',
    status: 'DELETING',
  });
  expect((await gql(MODEL, { p: 'widgets', v: '1' })).body.data.model).toBeNull();

  const notEmpty = await gql(`mutation { deleteProject(name: "widgets") }`);
  expect(notEmpty.body.errors[0].extensions.code).toBe('RESOURCE_CONFLICT');
  expect((await gql(`mutation { deleteDataset(projectName: "widgets", type: TRAIN) }`)).body.data.deleteDataset).toBe(true);
  expect((await gql(`mutation { deleteProject(name: "widgets") }`)).body.data.deleteProject).toBe('widgets');
  expect((await gql(`{ project(name: "widgets") { name } }`)).body.data.project).toBeNull();
});

test('orientation travels from GraphQL input or a protocol tag to the trained model; a bad tag is refused', async () => {
  await gql(`mutation { createProject(name: "turns") { name } }`);
  const normals = await Promise.all(Array.from({ length: 6 }, (_, i) => png(textureRgb(700 + i))));
  const C = `mutation C($n: [Upload!]) { createDataset(input: { projectName: "turns", normalImages: $n }) { imageStats { total } } }`;
  await postMultipart(
    gw.url,
    multipart(
      C,
      { n: normals.map(() => null) },
      normals.map((bytes, i) => ({ path: `variables.n.${i}`, bytes })),
    ),
    { 'apollo-require-preflight': 'true', ...admin },
  );

  const ORIENTED = `query M($v: String!) { model(projectName: "turns", version: $v) { status orientation } }`;
  expect((await gql(`mutation { trainModel(input: { projectName: "turns", orientation: ANY }) { version orientation } }`)).body.data.trainModel).toEqual({
    version: '1',
    orientation: null,
  });
  await waitFor('turns', '1', ['TRAINED', 'TRAINING_FAILED']);
  expect((await gql(ORIENTED, { v: '1' })).body.data.model).toEqual({ status: 'TRAINED', orientation: 'ANY' });
  const wrong = await gql(`mutation { trainModel(input: { projectName: "turns", orientation: SIDEWAYS }) { version } }`);
  expect(wrong.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');

  const lfv = client(gw.url, { accessKeyId: 'ANY', secretAccessKey: 'any' });
  try {
    const output = { S3Location: { Bucket: 'out' } };
    await expect(
      lfv.send(new CreateModelCommand({ ProjectName: 'turns', OutputConfig: output, Tags: [{ Key: 'lookout-gateway:orientation', Value: 'sideways' }] })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('auto, any or fixed'),
    });
    const created = await lfv.send(
      new CreateModelCommand({ ProjectName: 'turns', OutputConfig: output, Tags: [{ Key: 'lookout-gateway:orientation', Value: 'fixed' }] }),
    );
    expect(created.ModelMetadata!.ModelVersion).toBe('2'); // the refused request recorded nothing
    await waitFor('turns', '2', ['TRAINED', 'TRAINING_FAILED']);
    expect((await gql(ORIENTED, { v: '2' })).body.data.model).toEqual({ status: 'TRAINED', orientation: 'FIXED' });
  } finally {
    lfv.destroy();
  }
});

test("sensitivity moves a trained model's decision, from GraphQL or a protocol tag, without reusing old answers", async () => {
  // Model 2 of "turns" was trained above. At the calibrated point a new clean image passes.
  const OP = `query { model(projectName: "turns", version: "2") { operatingPoint { sensitivity threshold precision recall f1Score } } }`;
  const calibrated = (await gql(OP)).body.data.model.operatingPoint;
  expect(calibrated.sensitivity).toBe(0.5);
  const image = await png(textureRgb(706)); // a neighbour of the training seeds: the same weave phase
  const before = await detect(gw.url, image, { project: 'turns', version: '2' });
  expect(before.body.data.detectAnomalies).toMatchObject({ isAnomalous: false, cached: false });

  const SET = `mutation S($s: Float!) { setModelSensitivity(projectName: "turns", version: "2", sensitivity: $s) { operatingPoint { sensitivity threshold } } }`;
  const raised = (await gql(SET, { s: 0.99 })).body.data.setModelSensitivity.operatingPoint;
  expect(raised.sensitivity).toBe(0.99);
  expect(raised.threshold).toBeLessThan(calibrated.threshold);
  // Judged again at the new sensitivity, not answered from the cache of the old one.
  const after = await detect(gw.url, image, { project: 'turns', version: '2' });
  expect(after.body.data.detectAnomalies.cached).toBe(false);
  expect(after.body.data.detectAnomalies.id).not.toBe(before.body.data.detectAnomalies.id);
  expect(after.body.data.detectAnomalies.confidence).not.toBe(before.body.data.detectAnomalies.confidence);

  const bad = await gql(SET, { s: 1.5 });
  expect(bad.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');

  // Protocol clients set the same value as a tag; a malformed one is refused and changes nothing.
  const lfv = client(gw.url, { accessKeyId: 'ANY', secretAccessKey: 'any' });
  try {
    const arn = (await lfv.send(new DescribeModelCommand({ ProjectName: 'turns', ModelVersion: '2' }))).ModelDescription!.ModelArn!;
    await expect(lfv.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'lookout-gateway:sensitivity', Value: 'high' }] }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    expect((await gql(OP)).body.data.model.operatingPoint.sensitivity).toBe(0.99);
    await lfv.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'lookout-gateway:sensitivity', Value: '0.5' }] }));
  } finally {
    lfv.destroy();
  }
  expect((await gql(OP)).body.data.model.operatingPoint).toEqual(calibrated);
  // Back at the calibrated point, the first answer is the cached one again.
  expect((await detect(gw.url, image, { project: 'turns', version: '2' })).body.data.detectAnomalies).toMatchObject({
    id: before.body.data.detectAnomalies.id,
    cached: true,
  });
});

test('a training that cannot run says why in statusMessage', async () => {
  await gql(`mutation { createProject(name: "tiny") { name } }`);
  const one = await png(textureRgb(1));
  const C = `mutation C($n: [Upload!]) { createDataset(input: { projectName: "tiny", normalImages: $n }) { imageStats { total } } }`;
  await postMultipart(gw.url, multipart(C, { n: [null] }, [{ path: 'variables.n.0', bytes: one }]), { 'apollo-require-preflight': 'true', ...admin });
  await gql(`mutation { trainModel(input: { projectName: "tiny" }) { version } }`);
  const failed = await waitFor('tiny', '1', ['TRAINED', 'TRAINING_FAILED']);
  expect(failed.status).toBe('TRAINING_FAILED');
  expect(failed.statusMessage).toMatch(/at least 3 normal images/);
});

test('bad management input: a second dataset of a type, an unknown project, a bad description', async () => {
  await gql(`mutation { createProject(name: "twice") { name } }`);
  await gql(`mutation { createDataset(input: { projectName: "twice" }) { status } }`);
  const again = await gql(`mutation { createDataset(input: { projectName: "twice" }) { status } }`);
  expect(again.body.errors[0].extensions).toMatchObject({ code: 'RESOURCE_CONFLICT', resourceType: 'DATASET' });
  const none = await gql(`mutation { trainModel(input: { projectName: "ghost" }) { version } }`);
  expect(none.status).toBe(404);
  expect(none.body.errors[0].extensions).toMatchObject({ code: 'PROJECT_NOT_FOUND', resourceType: 'PROJECT', resourceId: 'ghost' });
  const desc = await gql(`mutation { trainModel(input: { projectName: "twice", description: "has spaces" }) { version } }`);
  expect(desc.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  const empty = await gql(`mutation { trainModel(input: { projectName: "twice" }) { version } }`);
  expect(empty.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
});
