import { hash } from 'node:crypto';

/**
 * A detection's id names the image and the model that judged it, never "latest", so the same
 * upload against the same model version is the same result (and the same cache entry) on every
 * replica, while a newly trained version gets fresh answers. The model's creation time is part
 * of it: a project deleted and made again starts at version 1 again, and its new version 1 must
 * not be answered with the old one's cached results. So is a sensitivity moved after training:
 * the same image judged at another threshold is another result. So is an image turned by its
 * EXIF orientation (GraphQL) rather than judged as stored (the protocol): the two paths must not
 * share an entry whose pixels, verdict or mask differ. Defaults add nothing, so ids (and cache
 * entries) from before either existed stay valid.
 */
export function detectionId(
  imageSha256: string,
  backend: string,
  projectName: string,
  version: string,
  modelCreatedAt: Date | null = null,
  sensitivity = 0.5,
  turned = false,
): string {
  const created = modelCreatedAt ? String(modelCreatedAt.getTime()) : '';
  const decision = sensitivity === 0.5 ? '' : `\nsensitivity=${sensitivity}`;
  const orientation = turned ? '\norientation=exif' : '';
  return hash('sha256', `${imageSha256}\n${backend}\n${projectName}\n${version}\n${created}${decision}${orientation}`, 'base64url');
}

export const isDetectionId = (id: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(id);
