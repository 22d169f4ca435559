import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { AppError } from '../../errors';
import { readManifest } from './manifest';
import type { Dataset, DatasetEntry, Label } from './types';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

/**
 * A folder with `normal/` and optional `anomaly/` subfolders of PNG or JPEG files: the layout
 * Lookout for Vision's console import used. Files are taken in name order, so runs repeat.
 */
export async function readFolderDataset(root: string): Promise<Dataset> {
  const dir = resolve(root);
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new AppError('DATASET_INVALID', `The dataset folder ${root} does not exist.`);
  }
  const entries: DatasetEntry[] = [];
  for (const label of ['normal', 'anomaly'] as Label[]) {
    const sub = join(dir, label);
    let names: string[];
    try {
      names = await readdir(sub);
    } catch {
      if (label === 'normal') throw new AppError('DATASET_INVALID', `The dataset folder ${root} has no normal/ subfolder.`);
      continue;
    }
    names
      .filter((n) => IMAGE_EXT.has(extname(n).toLowerCase()))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      .forEach((n) => entries.push({ image: join(sub, n), label }));
  }
  return { entries, classes: [], unlabelled: 0 };
}

/** A path is a manifest when it is a file; a folder is a folder dataset. */
export async function readDataset(path: string, options: { buckets?: Record<string, string> } = {}): Promise<Dataset> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new AppError('DATASET_INVALID', `The dataset ${path} does not exist.`);
  }
  if (isDir) return readFolderDataset(path);
  return readManifest(path, options);
}
