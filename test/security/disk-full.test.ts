import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sweepStaging } from '../../src/lib/synced-write';
import { png, textureRgb } from '../helpers/images';
import { multipart, postMultipart, startGateway, type Running } from '../gateway/helpers';

/**
 * A full disk, for real: the data folder is a 4 MiB tmpfs filled to the last block. Writes fail
 * with STORAGE_FULL (507), leave no staging files or orphaned images, and /readyz says
 * not-ready until space is freed; then everything works again without a restart.
 * Mounting needs root (CI runs as root); elsewhere the test says why it cannot run.
 */

let dir: string;
let data: string;
let gw: Running;
let mounted = false;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-full-'));
  data = join(dir, 'data');
  await mkdir(data);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', data], { stdio: 'pipe' });
    mounted = true;
  } catch (err) {
    throw new Error(`this test mounts a small tmpfs and needs root: ${(err as Error).message}`, { cause: err });
  }
  gw = await startGateway(data);
});

afterAll(async () => {
  await gw?.stop();
  if (mounted) execFileSync('umount', [data]);
  await rm(dir, { recursive: true, force: true });
});

async function gql(query: string) {
  const res = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return { status: res.status, body: (await res.json()) as any };
}

/** Writes until the file system refuses; returns the filler's path. */
async function fill(): Promise<string> {
  const path = join(data, 'filler');
  const fh = await open(path, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) await fh.write(block);
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    await fh.close();
  }
  return path;
}

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath ?? e.path, e.name));
  return out;
}

test('a full disk is STORAGE_FULL, leaves nothing behind, and turns /readyz not-ready until space is freed', async () => {
  expect((await gql('mutation { createProject(name: "before") { name } }')).body.data.createProject.name).toBe('before');
  const filler = await fill();
  const before = await filesUnder(data);

  const project = await gql('mutation { createProject(name: "during") { name } }');
  expect(project.status).toBe(507);
  expect(project.body.errors[0].extensions.code).toBe('STORAGE_FULL');
  expect(project.body.errors[0].message).toMatch(/storage is full \(ENOSPC\)/);

  const images = await Promise.all([1, 2, 3].map((i) => png(textureRgb(40 + i))));
  const form = multipart(
    'mutation C($n: [Upload!]) { createDataset(input: { projectName: "before", normalImages: $n }) { imageStats { total } } }',
    { n: [null, null, null] },
    images.map((bytes, i) => ({ path: `variables.n.${i}`, bytes })),
  );
  const dataset = await postMultipart(gw.url, form);
  expect(dataset.body.errors[0].extensions.code).toBe('STORAGE_FULL');

  // Not a byte of staging, no orphaned image, no half-made project folder.
  expect(await filesUnder(data)).toEqual(before);
  const ready = await fetch(`${gw.url}/readyz`);
  expect(ready.status).toBe(503);
  expect(((await ready.json()) as any).backend.detail).toMatch(/ENOSPC/);
  // Liveness is not readiness: the process is fine.
  expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);

  await rm(filler);
  expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
  expect((await gql('mutation { createProject(name: "during") { name } }')).body.data.createProject.name).toBe('during');
});

test('staging a crash left behind is swept, and nothing else', async () => {
  const root = join(dir, 'sweep');
  await mkdir(join(root, 'projects', 'p', 'models', '.1.tmp-0123abcd'), { recursive: true });
  await writeFile(join(root, 'projects', 'p', '.project.json.89abcdef.tmp'), '{"na');
  await writeFile(join(root, 'projects', 'p', 'project.json'), '{}');
  await writeFile(join(root, 'projects', 'p', 'notes.tmp'), 'kept');
  expect(await sweepStaging(root)).toBe(2);
  expect((await filesUnder(root)).sort()).toEqual([join(root, 'projects', 'p', 'notes.tmp'), join(root, 'projects', 'p', 'project.json')]);
});
