import { constants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, resolve } from 'node:path';

/**
 * Which files a dataset may make the engine read. A manifest is user input: a line naming
 * `/dev/zero` once made training read without end (6 GB in a minute, again after every restart),
 * and `file:///etc/shadow` or `s3://bucket/../../etc/hostname` reached past the folders the
 * operator meant to share. So every reference resolves inside named roots (the gateway's data
 * folder, its bucket folders and DATASET_ROOTS), every read follows symlinks to their real target
 * before judging it, and only regular files no larger than a cap are read, with the size taken
 * from the open descriptor rather than trusted from the name.
 */
export interface FileAccess {
  /** Folders references may resolve into; `null` lets any path through (the CLI, run by the machine's owner). */
  roots: readonly string[] | null;
  /** Largest file read, in bytes. */
  maxBytes: number;
}

/** The CLI's access: any path its user names, still only regular files. */
export const OPEN_FILE_ACCESS: FileAccess = Object.freeze({ roots: null, maxBytes: 256 * 1024 * 1024 });

/** Why a file was not read. One reason for "absent" and "not allowed", so refusals tell nothing about the disk. */
export class UnreadableFile extends Error {
  constructor(readonly reason: 'unreadable' | 'not-a-file' | 'too-large') {
    super(reason);
    this.name = 'UnreadableFile';
  }
}

export function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** `root/key` with the key normalised; null when it climbs out of the root (`..`, or absolute). */
export function confinedJoin(root: string, key: string): string | null {
  if (isAbsolute(key)) return null;
  const path = normalize(join(root, key));
  return isWithin(resolve(root), resolve(path)) ? path : null;
}

/** Lexical check (before anything is stored): does the path lie under one of the roots? */
export function allowedByRoots(access: Pick<FileAccess, 'roots'>, path: string): boolean {
  return access.roots === null || access.roots.some((r) => isWithin(resolve(r), resolve(path)));
}

/** Roots already resolved: every image a training reads is checked against the same few. */
const realRoots = new Map<string, string>();

/**
 * A root as the kernel sees it, remembered once found; a root that does not exist yet keeps its
 * resolved path and is looked up again next time (bucket folders appear with their first object).
 */
async function realRoot(root: string): Promise<string> {
  const known = realRoots.get(root);
  if (known) return known;
  try {
    const real = await realpath(root);
    realRoots.set(root, real);
    return real;
  } catch {
    return resolve(root);
  }
}

/** The real path of a file the access allows, or UnreadableFile. */
async function allowedRealPath(path: string, access: FileAccess): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new UnreadableFile('unreadable');
  }
  if (access.roots !== null) {
    const roots = await Promise.all(access.roots.map(realRoot));
    if (!roots.some((r) => isWithin(r, real))) throw new UnreadableFile('unreadable');
  }
  return real;
}

/**
 * Opens a regular file the access allows and hands it, with its size, to `use`. O_NONBLOCK keeps
 * a FIFO from blocking the open; the size comes from fstat on the open descriptor.
 */
async function withAllowedFile<T>(path: string, access: FileAccess, use: (handle: FileHandle, size: number) => Promise<T>): Promise<T> {
  const real = await allowedRealPath(path, access);
  let handle: FileHandle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    throw new UnreadableFile('unreadable');
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new UnreadableFile('not-a-file');
    if (st.size > access.maxBytes) throw new UnreadableFile('too-large');
    return await use(handle, st.size);
  } finally {
    await handle.close();
  }
}

/** Reads a regular file the access allows; the read stops at the size fstat gave, so a growing file cannot stretch it. */
export function readAllowedFile(path: string, access: FileAccess): Promise<Buffer> {
  return withAllowedFile(path, access, async (handle, size) => {
    const out = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(out, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === size ? out : out.subarray(0, filled);
  });
}

/** Checks what `readAllowedFile` would, without reading: for refusing a dataset when it is made. */
export function checkAllowedFile(path: string, access: FileAccess): Promise<void> {
  return withAllowedFile(path, access, async () => undefined);
}

/** The user-facing words for a refusal (any other read failure: "cannot be read"); the same for absent and outside the roots. */
export function describeRefusal(err: unknown, access: FileAccess): string {
  if (!(err instanceof UnreadableFile)) return 'cannot be read';
  if (err.reason === 'not-a-file') return 'is not a regular file';
  if (err.reason === 'too-large') return `is larger than ${access.maxBytes} bytes`;
  return 'does not exist or is outside the folders this gateway reads';
}
