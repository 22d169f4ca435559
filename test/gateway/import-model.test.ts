import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeModelCommand, DetectAnomaliesCommand, StartModelCommand } from '@aws-sdk/client-lookoutvision';
import sharp from 'sharp';
import { client } from '../compat/helpers';
import { anomalibV1, anomalibV2, V1_METADATA } from '../helpers/anomalib-exports';
import { detect, multipart, postMultipart, startGateway, type Running } from './helpers';

/**
 * `importModel` brings anomalib exports in as model versions (uploaded, or named in a bucket),
 * then they are started, detected with through GraphQL and the Lookout for Vision protocol,
 * and stopped like trained models. A file that does not fit changes nothing.
 */

const TOKEN = 'admin-token-for-tests-0123456789abcdef';
const admin = { authorization: `Bearer ${TOKEN}` };
let dir: string;
let gw: Running;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-import-'));
  const bucket = join(dir, 'exports');
  await mkdir(join(bucket, 'padim'), { recursive: true });
  await writeFile(join(bucket, 'padim', 'model.onnx'), anomalibV1());
  await writeFile(join(bucket, 'padim', 'metadata.json'), JSON.stringify(V1_METADATA));
  gw = await startGateway(join(dir, 'data'), { GRAPHQL_ADMIN_TOKEN: TOKEN, S3_BUCKETS: `exports=${bucket}` });
});

afterAll(async () => {
  await gw?.stop();
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

const IMPORT = `mutation($i: ImportModelInput!) { importModel(input: $i) { version status statusMessage type description anomalyTypes { name color } } }`;

async function redSquare(size = 64): Promise<Buffer> {
  const raw = Buffer.alloc(size * size * 3, 128);
  for (let y = 16; y < 32; y++) for (let x = 16; x < 32; x++) raw.set([220, 40, 40], (y * size + x) * 3);
  return sharp(raw, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}

const grey = () =>
  sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 128, g: 128, b: 128 } } })
    .png()
    .toBuffer();

test('an uploaded v2 export becomes a TRAINED version, detected through GraphQL (which starts it) and the protocol', async () => {
  await gql(`mutation { createProject(input: { name: "pcb" }) { name } }`);
  const form = multipart(IMPORT, { i: { projectName: 'pcb', model: null, description: 'anomalib-v2' } }, [
    { path: 'variables.i.model', bytes: Buffer.from(anomalibV2()), type: 'application/octet-stream', name: 'model.onnx' },
  ]);
  const imported = await postMultipart(gw.url, form, { 'apollo-require-preflight': 'true', ...admin });
  expect(imported.body.errors).toBeUndefined();
  expect(imported.body.data.importModel).toEqual({
    version: '1',
    status: 'TRAINED',
    statusMessage: 'Imported from an anomalib ONNX export (v2).',
    type: 'SEGMENTATION',
    description: 'anomalib-v2',
    anomalyTypes: [{ name: 'anomaly', color: '#D62728' }],
  });

  const r = await detect(gw.url, await redSquare(), { project: 'pcb', version: '1' });
  expect(r.body.errors).toBeUndefined();
  expect(r.body.data.detectAnomalies).toMatchObject({ isAnomalous: true, model: { status: 'HOSTED', type: 'SEGMENTATION' } });
  expect(r.body.data.detectAnomalies.anomalies[1]).toMatchObject({ name: 'anomaly', pixelAnomaly: { color: '#D62728' } });
  const mask = await fetch(r.body.data.detectAnomalies.anomalyMask.url);
  expect(mask.status).toBe(200);

  const lfv = client(gw.url, { accessKeyId: 'ANY', secretAccessKey: 'any' });
  try {
    const good = await lfv.send(new DetectAnomaliesCommand({ ProjectName: 'pcb', ModelVersion: '1', Body: await grey(), ContentType: 'image/png' }));
    expect(good.DetectAnomalyResult).toMatchObject({ IsAnomalous: false });
    expect(good.DetectAnomalyResult!.Confidence).toBeGreaterThan(0.9);
  } finally {
    lfv.destroy();
  }
  expect((await gql(`mutation { stopModel(input: { projectName: "pcb", version: "1" }) { status } }`)).data.stopModel.status).toBe('STOPPING_HOSTING');
});

test('a v1 export and its metadata named in a bucket; started through the protocol', async () => {
  await gql(`mutation { createProject(input: { name: "padim" }) { name } }`);
  const r = await gql(IMPORT, { i: { projectName: 'padim', modelUrl: 's3://exports/padim/model.onnx', metadataUrl: 's3://exports/padim/metadata.json' } });
  expect(r.errors).toBeUndefined();
  expect(r.data.importModel).toMatchObject({ version: '1', status: 'TRAINED', statusMessage: 'Imported from an anomalib ONNX export (v1).' });

  const lfv = client(gw.url, { accessKeyId: 'ANY', secretAccessKey: 'any' });
  try {
    await lfv.send(new StartModelCommand({ ProjectName: 'padim', ModelVersion: '1', MinInferenceUnits: 1 }));
    for (let i = 0; i < 200; i++) {
      const d = await lfv.send(new DescribeModelCommand({ ProjectName: 'padim', ModelVersion: '1' }));
      if (d.ModelDescription!.Status === 'HOSTED') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    const bad = await lfv.send(new DetectAnomaliesCommand({ ProjectName: 'padim', ModelVersion: '1', Body: await redSquare(), ContentType: 'image/png' }));
    expect(bad.DetectAnomalyResult).toMatchObject({ IsAnomalous: true, Anomalies: [{ Name: 'background' }, { Name: 'anomaly' }] });
    expect(bad.DetectAnomalyResult!.AnomalyMask).toBeInstanceOf(Uint8Array);
  } finally {
    lfv.destroy();
  }
});

test('files that do not fit are MODEL_IMPORT_INVALID or BAD_USER_INPUT, and the project is unchanged', async () => {
  await gql(`mutation { createProject(input: { name: "strict" }) { name } }`);
  const upload = (bytes: Buffer, extra: Record<string, unknown> = {}) =>
    postMultipart(
      gw.url,
      multipart(IMPORT, { i: { projectName: 'strict', model: null, ...extra } }, [
        { path: 'variables.i.model', bytes, type: 'application/octet-stream', name: 'model.onnx' },
      ]),
      { 'apollo-require-preflight': 'true', ...admin },
    );
  const notOnnx = await upload(Buffer.from('{"not": "a model"}'));
  expect(notOnnx.status).toBe(400);
  expect(notOnnx.body.errors[0]).toMatchObject({ extensions: { code: 'MODEL_IMPORT_INVALID' }, message: expect.stringContaining('not an ONNX model') });
  const v1Alone = await upload(Buffer.from(anomalibV1()));
  expect(v1Alone.body.errors[0]).toMatchObject({ extensions: { code: 'MODEL_IMPORT_INVALID' }, message: expect.stringContaining('give its metadata.json') });
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{}, 'BAD_USER_INPUT', /as `model` \(an upload\) or `modelUrl`, one of them/],
    [{ modelUrl: 's3://exports/nothing.onnx' }, 'BAD_USER_INPUT', /The model s3:\/\/exports\/nothing\.onnx/],
    [{ modelUrl: 's3://exports/padim/model.onnx', metadataUrl: 's3://exports/padim/model.onnx' }, 'MODEL_IMPORT_INVALID', /metadata file is not valid JSON/],
    [{ modelUrl: 's3://exports/padim/model.onnx', description: 'spaces are not allowed' }, 'BAD_USER_INPUT', /description must be/],
  ];
  for (const [input, code, message] of cases) {
    const r = await gql(IMPORT, { i: { projectName: 'strict', ...input } });
    expect(r.errors?.[0]).toMatchObject({ extensions: { code }, message: expect.stringMatching(message) });
  }
  const missing = await gql(IMPORT, { i: { projectName: 'nope', modelUrl: 's3://exports/padim/model.onnx' } });
  expect(missing.errors[0].extensions.code).toBe('PROJECT_NOT_FOUND');
  expect((await gql(`{ project(name: "strict") { modelConnection(first: 10) { totalCount } } }`)).data.project.modelConnection.totalCount).toBe(0);
  await expect(readdir(join(dir, 'data', 'projects', 'strict', 'models'))).rejects.toMatchObject({ code: 'ENOENT' });
});
