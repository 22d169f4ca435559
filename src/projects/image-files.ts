import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Label } from '../engine/dataset/types';
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
 * one dataset format, whatever the way in.
 */
export async function storeImages(dataDir: string, project: string, images: LabelledImage[]): Promise<string> {
  const dir = join(projectDir(dataDir, project), 'images');
  await mkdir(dir, { recursive: true });
  const lines: string[] = [];
  for (const img of images) {
    const path = join(dir, `${img.sha256}.${img.format === 'png' ? 'png' : 'jpg'}`);
    if (!(await exists(path))) await writeFileAtomic(path, img.bytes);
    lines.push(
      JSON.stringify({
        'source-ref': path,
        'anomaly-label': img.label === 'anomaly' ? 1 : 0,
        'anomaly-label-metadata': { 'class-name': img.label, type: 'groundtruth/image-classification', 'human-annotated': 'yes', 'creation-date': new Date().toISOString() },
      }),
    );
  }
  return lines.join('\n');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
