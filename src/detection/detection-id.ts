import { createHash } from 'node:crypto';

/**
 * A detection's id names the image and the model that judged it, never "latest", so the same
 * upload against the same model version is the same result (and the same cache entry) on every
 * replica, while a newly trained version gets fresh answers.
 */
export function detectionId(imageSha256: string, backend: string, projectName: string, version: string): string {
  return createHash('sha256').update(`${imageSha256}\n${backend}\n${projectName}\n${version}`).digest('base64url');
}

export const isDetectionId = (id: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(id);
