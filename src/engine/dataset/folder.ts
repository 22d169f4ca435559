import { readdir, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { AppError } from '../../errors';
import { folderLayout, manifestLine, type FolderLayout, type Side } from './folder-layout';
import { parseManifest, readManifest, type ManifestOptions } from './manifest';
import { displayColours } from './masks';
import type { Dataset } from './types';

/** A dataset's two sides: an MVTec folder brings its own test side, other sources none. */
export interface DatasetSides {
  train: Dataset;
  test: Dataset | null;
  kind: 'manifest' | FolderLayout['kind'];
}

export interface ReadOptions extends ManifestOptions {
  /** Share of each MVTec defect folder that trains (folder-layout.ts); the rest tests. */
  defectsInTraining?: number;
}

/** Past this many files a folder is not a dataset someone meant (a home directory, a disk root). */
const MAX_FOLDER_FILES = 200_000;

/**
 * A folder in either layout (folder-layout.ts). It becomes manifest lines with references
 * relative to the folder, read as any manifest is: one path for folders, manifests and the
 * gateway's `s3://` folders. Files are taken in name order, so runs repeat.
 */
export async function readFolderSides(root: string, options: ReadOptions = {}): Promise<DatasetSides> {
  const dir = resolve(root);
  let files: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    files = (await readdir(dir, { recursive: true })).map((f) => f.split(sep).join('/'));
  } catch {
    throw new AppError('DATASET_INVALID', `The dataset folder ${root} does not exist.`);
  }
  if (files.length > MAX_FOLDER_FILES) throw new AppError('DATASET_INVALID', `The dataset folder ${root} holds more than ${MAX_FOLDER_FILES} files.`);
  const layout = folderLayout(files, root, options.defectsInTraining);
  const side = (s: Side) =>
    parseManifest(
      layout.entries
        .filter((e) => e.side === s)
        .map((e) => manifestLine(e, (p) => p))
        .join('\n'),
      dir,
      options,
    );
  const train = side('train');
  if (layout.kind === 'lookout') return { train, test: null, kind: 'lookout' };
  // Both sides name every masked type, in folder order, so colours agree whichever side a type lands on.
  const masked = layout.types.filter((t) => layout.entries.some((e) => e.type === t && e.mask));
  const classes = displayColours(masked.map((name) => ({ name, color: '#FFFFFF' })));
  return { train: { ...train, classes }, test: { ...side('test'), classes }, kind: 'mvtec' };
}

/** A path is a manifest when it is a file; a folder is read by its layout. */
export async function readDatasetSides(path: string, options: ReadOptions = {}): Promise<DatasetSides> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new AppError('DATASET_INVALID', `The dataset ${path} does not exist.`);
  }
  if (isDir) return readFolderSides(path, options);
  return { train: await readManifest(path, options), test: null, kind: 'manifest' };
}

/** One dataset from a path: a manifest, a Lookout folder, or every image of an MVTec folder. */
export async function readDataset(path: string, options: ReadOptions = {}): Promise<Dataset> {
  const { train, test } = await readDatasetSides(path, options);
  if (!test) return train;
  return { entries: [...train.entries, ...test.entries], classes: train.classes, unlabelled: train.unlabelled + test.unlabelled };
}
