import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateProjectCommand,
  DescribeDatasetCommand,
  UpdateDatasetEntriesCommand,
  ValidationException,
  type LookoutVisionClient,
} from '@aws-sdk/client-lookoutvision';
import { confinedJoin, OPEN_FILE_ACCESS, readAllowedFile } from '../../src/engine/dataset/file-access';
import { readImage } from '../../src/engine/dataset/read-entry';
import { png, textureRgb } from '../helpers/images';
import { startGateway, type Running } from '../gateway/helpers';
import { client, createTrainDataset, LFV_ACCESS_KEYS, thrown, writeS3Dataset } from '../compat/helpers';

/**
 * Manifests are user input. Through the real SDK over HTTP: references outside the folders the
 * operator named are refused at UpdateDatasetEntries before anything is stored, with one message
 * for "absent" and "not allowed", naming the line and never a server path; special files are
 * refused without being read.
 */

let dir: string;
let gw: Running;
let lfv: LookoutVisionClient;
const BUCKET = 'files-bucket';
const line = (ref: string) => JSON.stringify({ 'source-ref': ref, 'anomaly-label-metadata': { 'class-name': 'normal' } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-files-'));
  await mkdir(join(dir, 'named-root'), { recursive: true });
  await mkdir(join(dir, 'elsewhere'), { recursive: true });
  gw = await startGateway(join(dir, 'data'), { LFV_ACCESS_KEYS, S3_BUCKETS: `${BUCKET}=${join(dir, 'bucket')}`, DATASET_ROOTS: join(dir, 'named-root') });
  lfv = client(gw.url);
  const key = await writeS3Dataset(join(dir, 'bucket'), BUCKET, 'p', 4, 0);
  await lfv.send(new CreateProjectCommand({ ProjectName: 'files' }));
  await createTrainDataset(lfv, 'files', BUCKET, key);
});

afterAll(async () => {
  lfv?.destroy();
  await gw?.stop();
  await rm(dir, { recursive: true, force: true });
});

const total = async () => (await lfv.send(new DescribeDatasetCommand({ ProjectName: 'files', DatasetType: 'train' }))).DatasetDescription!.ImageStats!.Total;
const update = (refs: string[]) =>
  lfv.send(new UpdateDatasetEntriesCommand({ ProjectName: 'files', DatasetType: 'train', Changes: Buffer.from(refs.map(line).join('\n')) }));

test('paths outside the roots are refused like absent files, and nothing is stored', async () => {
  const secret = join(dir, 'elsewhere', 'secret.png');
  await writeFile(secret, await png(textureRgb(1)));
  await symlink(secret, join(dir, 'bucket', 'p', 'link.png'));
  const before = await total();
  const refs = [
    '/dev/zero',
    'file:///etc/passwd',
    `s3://${BUCKET}/../../../etc/hostname`,
    `s3://${BUCKET}/p/link.png`,
    secret,
    `s3://${BUCKET}/p/absent.png`,
    's3://../etc/hostname',
  ];
  const messages: string[] = [];
  for (const ref of refs) {
    const err = await thrown(() => update([ref]));
    expect(err).toBeInstanceOf(ValidationException);
    const told = err.message.replace(`"${ref}"`, '<ref>');
    messages.push(told);
    // Beyond echoing the client's own reference, the server's folders stay its own.
    expect(told).not.toContain(dir);
  }
  // The same words whether the file is missing, outside, or behind a symlink that leaves.
  expect(new Set(messages)).toEqual(
    new Set(['Images or masks the dataset names cannot be used: Line 1: <ref> does not exist or is outside the folders this gateway reads.']),
  );
  expect(await total()).toBe(before);
});

test('special files inside a root are refused without reading them', async () => {
  const fifo = join(dir, 'bucket', 'p', 'pipe.png');
  execFileSync('mkfifo', [fifo]);
  await mkdir(join(dir, 'bucket', 'p', 'folder.png'));
  for (const name of ['pipe.png', 'folder.png']) {
    const err = await thrown(() => update([`s3://${BUCKET}/p/${name}`]));
    expect(err).toBeInstanceOf(ValidationException);
    expect(err.message).toMatch(/Line 1: "s3:\/\/files-bucket\/p\/(pipe|folder)\.png" is not a regular file/);
  }
});

test('files in a named root and in the bucket are accepted; a later bad line names its number', async () => {
  const named = join(dir, 'named-root', 'extra.png');
  await writeFile(named, await png(textureRgb(7)));
  const before = await total();
  await update([named, `file://${named}`]);
  expect(await total()).toBe(before! + 2);
  const err = await thrown(() => update([`s3://${BUCKET}/p/images/normal-0.png`, '/etc/hostname']));
  expect(err.message).toMatch(/Line 2: "\/etc\/hostname" does not exist/);
});

describe('the engine reads only regular files, within the size cap', () => {
  test('/dev/zero, even through the CLI, is refused at once', async () => {
    await expect(readAllowedFile('/dev/zero', OPEN_FILE_ACCESS)).rejects.toMatchObject({ reason: 'not-a-file' });
    await expect(readImage({ image: '/dev/zero', ref: 'zero', label: 'normal' })).rejects.toMatchObject({
      code: 'DATASET_INVALID',
      message: 'The image "zero" is not a regular file.',
    });
  });

  test('a file over the cap is refused before reading, one under it read whole', async () => {
    const path = join(dir, 'bucket', 'p', 'big.bin');
    await writeFile(path, Buffer.alloc(4096, 7));
    await expect(readAllowedFile(path, { roots: null, maxBytes: 4095 })).rejects.toMatchObject({ reason: 'too-large' });
    expect((await readAllowedFile(path, { roots: [join(dir, 'bucket')], maxBytes: 4096 })).equals(Buffer.alloc(4096, 7))).toBe(true);
    await expect(readAllowedFile(path, { roots: [join(dir, 'named-root')], maxBytes: 4096 })).rejects.toMatchObject({ reason: 'unreadable' });
  });

  test('keys that climb out of their folder have no path', () => {
    expect(confinedJoin('/data/b', 'a/../c.png')).toBe('/data/b/c.png');
    expect(confinedJoin('/data/b', '../b2/x.png')).toBeNull();
    expect(confinedJoin('/data/b', '/etc/passwd')).toBeNull();
  });
});
