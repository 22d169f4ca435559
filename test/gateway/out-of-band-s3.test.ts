import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { S3UploadBytes } from '../../src/detection/uploads/s3-upload-bytes';
import { s3Client } from '../../src/projects/s3-objects';
import { defectFor, png, textureRgb } from '../helpers/images';
import { copyOfDataDir, dataDirWithDemoModel, detect, startGateway, type Running } from './helpers';

/**
 * With models in S3-compatible storage (ARTIFACTS_URL), an out-of-band upload's bytes go straight
 * there by a presigned PUT, never through a gateway process; the detection reads them, and the
 * object is deleted once used (or swept once expired). s3rver plays the storage.
 */

const BUCKET = 'oob-artifacts';
let dir: string;
let s3: S3rver;
let s3Url: string;
let data: { path: string; cleanup: () => Promise<void> };
let gw: Running;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-oob-s3-'));
  s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: BUCKET, configs: [] }] });
  s3Url = `http://127.0.0.1:${(await s3.run()).port}`;
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  data = await dataDirWithDemoModel();
  const copy = await copyOfDataDir(data.path);
  gw = await startGateway(copy.path, { ARTIFACTS_URL: `s3://${BUCKET}/models`, S3_ENDPOINT: s3Url });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await s3?.close();
  await data?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as any;
}

const CREATE = `mutation($i: CreateImageUploadInput!) { createImageUpload(input: $i) { uploadId uploadUrl contentType byteLength } }`;
const DETECT = `mutation($id: ID!) { detectAnomalies(input: { uploadId: $id, projectName: "demo" }) { id isAnomalous confidence } }`;

async function uploadsInStorage(): Promise<string[]> {
  const client = s3Client({ endpoint: s3Url, region: 'us-east-1', forcePathStyle: true });
  try {
    const out = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'models/uploads/' }));
    return (out.Contents ?? []).map((o) => o.Key!);
  } finally {
    client.destroy();
  }
}

test('the bytes go to the storage by a presigned PUT; the detection reads them, then deletes them', async () => {
  const image = await png(textureRgb(7300, [defectFor(4)]));
  const created = (await gql(CREATE, { i: { projectName: 'demo', contentType: 'image/png', byteLength: image.length } })).data.createImageUpload;
  expect(created.uploadUrl.startsWith(`${s3Url}/${BUCKET}/models/uploads/${created.uploadId}?`)).toBe(true);
  expect(created.uploadUrl).toContain('X-Amz-Signature=');

  // Before the PUT there is nothing to detect, and the upload is not spent by asking.
  expect((await gql(DETECT, { id: created.uploadId })).errors[0].extensions.code).toBe('UPLOAD_NOT_READY');
  // The URL signs the type and the size, so S3 refuses any other (s3rver does not check; the
  // detection checks again, below).
  expect(new URL(created.uploadUrl).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
  const put = await fetch(created.uploadUrl, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: new Uint8Array(image) });
  expect(put.status).toBe(200);
  expect(await uploadsInStorage()).toEqual([`models/uploads/${created.uploadId}`]);
  // The gateway's own PUT route does not take an upload whose bytes belong in the storage.
  const wrongPlace = await fetch(`${gw.url}/uploads/${created.uploadId}`, {
    method: 'PUT',
    headers: { 'content-type': 'image/png' },
    body: new Uint8Array(image),
  });
  expect(wrongPlace.status).toBe(403);

  const viaStorage = (await gql(DETECT, { id: created.uploadId })).data.detectAnomalies;
  const viaMultipart = (await detect(gw.url, image)).body.data.detectAnomalies;
  expect(viaStorage).toEqual({ id: viaMultipart.id, isAnomalous: true, confidence: viaMultipart.confidence });
  expect(await uploadsInStorage()).toEqual([]);
  expect((await gql(DETECT, { id: created.uploadId })).errors[0].extensions.code).toBe('UPLOAD_USED');
});

test('an image that is not one is refused at detection, and its object is deleted', async () => {
  const junk = Buffer.alloc(5000, 'junk ');
  const created = (await gql(CREATE, { i: { projectName: 'demo', contentType: 'image/png', byteLength: junk.length } })).data.createImageUpload;
  expect((await fetch(created.uploadUrl, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: new Uint8Array(junk) })).status).toBe(200);
  expect((await gql(DETECT, { id: created.uploadId })).errors[0].extensions.code).toBe('INVALID_IMAGE');
  expect(await uploadsInStorage()).toEqual([]);
});

test('bytes of another size than the upload was created for are refused at detection', async () => {
  const image = await png(textureRgb(7301, []));
  const created = (await gql(CREATE, { i: { projectName: 'demo', contentType: 'image/png', byteLength: image.length } })).data.createImageUpload;
  expect(
    (await fetch(created.uploadUrl, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: new Uint8Array(image.subarray(0, 100)) })).status,
  ).toBe(200);
  const refused = (await gql(DETECT, { id: created.uploadId })).errors[0];
  expect(refused.extensions.code).toBe('BAD_USER_INPUT');
  expect(refused.message).toMatch(/truncated/);
  expect(await uploadsInStorage()).toEqual([]);
});

test('S3_PUBLIC_ENDPOINT signs the URL for the address clients use; UPLOADS_VIA=gateway keeps the bytes off the storage', async () => {
  const image = await png(textureRgb(7302, [defectFor(2)]));
  const publicOrigin = s3Url.replace('127.0.0.1', 'localhost');
  for (const [env, expected] of [
    [{ S3_PUBLIC_ENDPOINT: publicOrigin }, `${publicOrigin}/${BUCKET}/models/uploads/`],
    [{ UPLOADS_VIA: 'gateway' }, null],
  ] as [Record<string, string>, string | null][]) {
    const copy = await copyOfDataDir(data.path);
    const other = await startGateway(copy.path, { ARTIFACTS_URL: `s3://${BUCKET}/models`, S3_ENDPOINT: s3Url, ...env });
    try {
      const res = await fetch(`${other.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: CREATE, variables: { i: { projectName: 'demo', contentType: 'image/png', byteLength: image.length } } }),
      });
      const created = ((await res.json()) as any).data.createImageUpload;
      expect(created.uploadUrl.startsWith(expected ?? `${other.url}/uploads/${created.uploadId}?`)).toBe(true);
      expect((await fetch(created.uploadUrl, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: new Uint8Array(image) })).status).toBe(200);
      const detected = await fetch(`${other.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: DETECT, variables: { id: created.uploadId } }),
      });
      expect(((await detected.json()) as any).data.detectAnomalies.isAnomalous).toBe(true);
      expect(await uploadsInStorage()).toEqual([]);
    } finally {
      await other.stop();
      await copy.cleanup();
    }
  }
});

test('objects of expired uploads are swept', async () => {
  const bytes = new S3UploadBytes(`s3://${BUCKET}/models`, { endpoint: s3Url, region: 'us-east-1', forcePathStyle: true });
  try {
    const url = await bytes.presign('x'.repeat(22), 'image/png', 4, 60);
    expect((await fetch(url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: new Uint8Array([1, 2, 3, 4]) })).status).toBe(200);
    expect(await bytes.sweep(60_000)).toBe(0);
    expect(await bytes.sweep(-1_000)).toBe(1);
    expect(await uploadsInStorage()).toEqual([]);
  } finally {
    bytes.close();
  }
});
