import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Label } from '../engine/dataset/types';
import { exists } from '../lib/exists';
import { storageError } from '../lib/storage-health';
import { writeFileAtomic } from './atomic-file';
import { projectDir } from './project-store';

export interface LabelledImage {
  bytes: Buffer;
  sha256: string;
  format: 'png' | 'jpeg';
  label: Label;
}

/**
 * Images uploaded into a dataset (GraphQL) are kept in the project's folder under their sha256,
 * so the same image uploaded twice is stored once, and become manifest lines like any other:
 * one dataset format, whatever the way in. `use` records the lines; if it fails (a full disk,
 * a refused dataset), the images this call wrote are removed again.
 */
export async function storeImages<T>(
  dataDir: string,
  project: string,
  images: LabelledImage[],
  use: (manifest: string) => Promise<T>,
  /** Where replicas share model storage, the image goes there and its line names it (model-artifacts.ts). */
  publish: (file: string, bytes: Buffer) => Promise<string | null> = async () => null,
): Promise<T> {
  const dir = join(projectDir(dataDir, project), 'images');
  const created: string[] = [];
  try {
    const lines = await writeImages(dir, images, created, publish);
    return await use(lines);
  } catch (err) {
    // Images the dataset did not take are orphans: nothing names them, nothing would delete them.
    await Promise.all(created.map((p) => rm(p, { force: true })));
    throw err;
  }
}

async function writeImages(
  dir: string,
  images: LabelledImage[],
  created: string[],
  publish: (file: string, bytes: Buffer) => Promise<string | null>,
): Promise<string> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw storageError(err);
  }
  const lines: string[] = [];
  for (const img of images) {
    const file = `${img.sha256}.${img.format === 'png' ? 'png' : 'jpg'}`;
    // A local path means nothing to another replica; a reference into the shared storage does.
    let ref = await publish(file, img.bytes);
    if (!ref) {
      ref = join(dir, file);
      if (!(await exists(ref))) {
        await writeFileAtomic(ref, img.bytes);
        created.push(ref);
      }
    }
    lines.push(
      JSON.stringify({
        'source-ref': ref,
        'anomaly-label': img.label === 'anomaly' ? 1 : 0,
        'anomaly-label-metadata': {
          'class-name': img.label,
          type: 'groundtruth/image-classification',
          'human-annotated': 'yes',
          'creation-date': new Date().toISOString(),
        },
      }),
    );
  }
  return lines.join('\n');
}
