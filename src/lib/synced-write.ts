import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { storageError, storageWorked } from './storage-health';

/**
 * Writes a file and fsyncs it before returning, so a rename that follows publishes complete
 * bytes even across a power cut (rename alone orders nothing with the data's write-back).
 */
export async function writeSynced(path: string, data: Uint8Array | string): Promise<void> {
  try {
    const fh = await open(path, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    // A disk that fills mid-write leaves a truncated file; nothing may read it later.
    await rm(path, { force: true });
    throw storageError(err);
  }
  storageWorked();
}

/**
 * Writes a file whole or not at all: to a hidden sibling, fsynced, then renamed over the target,
 * so a crash leaves either the old file or the new one, never half.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (err) {
    throw storageError(err);
  }
  const staging = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  await writeSynced(staging, data);
  try {
    await rename(staging, path);
  } catch (err) {
    await rm(staging, { force: true });
    throw storageError(err);
  }
}

/** Staging left by a write a crash cut short: `.name.xxxxxxxx.tmp` files and `.name.tmp-xxxxxxxx` model folders. */
const STAGING = /^\..+(\.[0-9a-f]{8}\.tmp|\.tmp-[0-9a-f]{8})$/;

/**
 * Removes staging a crash left under `root` (at start-up, before anything writes). Returns how
 * many were removed. Only names the writers above make are touched.
 */
export async function sweepStaging(root: string, depth = 6): Promise<number> {
  let removed = 0;
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const path = join(root, e.name);
    if (STAGING.test(e.name)) {
      await rm(path, { recursive: true, force: true });
      removed++;
    } else if (e.isDirectory() && depth > 0) removed += await sweepStaging(path, depth - 1);
  }
  return removed;
}
