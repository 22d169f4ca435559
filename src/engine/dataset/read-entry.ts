import { AppError, isAppError } from '../../errors';
import { describeRefusal, OPEN_FILE_ACCESS, readAllowedFile, type FileAccess } from './file-access';
import type { DatasetEntry } from './types';

/**
 * Reading a dataset entry's files, under the access the caller grants. Errors name the entry as
 * the dataset wrote it (`source-ref`), not the server path it resolved to: a training's status
 * message is read by whoever may describe the model.
 */

const nameOf = (entry: DatasetEntry) => entry.ref ?? entry.image;

async function read(path: string, name: string, what: 'image' | 'mask', access: FileAccess): Promise<Buffer> {
  try {
    return await readAllowedFile(path, access);
  } catch (err) {
    throw new AppError(
      what === 'mask' ? 'MASK_INVALID' : 'DATASET_INVALID',
      `The ${what} "${name}" ${describeRefusal(err, access)}.`,
      { path: name },
      { cause: err },
    );
  }
}

export function readImage(entry: DatasetEntry, access: FileAccess = OPEN_FILE_ACCESS): Promise<Buffer> {
  return read(entry.image, nameOf(entry), 'image', access);
}

export function readMask(entry: DatasetEntry, access: FileAccess = OPEN_FILE_ACCESS): Promise<Buffer> {
  if (!entry.mask) throw new Error('the entry has no mask');
  return read(entry.mask, entry.maskRef ?? entry.mask, 'mask', access);
}

/** Names the file in an image error: "not a PNG or JPEG" means little without knowing which of 500. */
export async function naming<T>(entry: DatasetEntry, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isAppError(err) && !err.details.path)
      throw new AppError(err.code, `${nameOf(entry)}: ${err.message}`, { ...err.details, path: nameOf(entry) }, { cause: err });
    throw err;
  }
}
