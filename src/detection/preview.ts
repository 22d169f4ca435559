import sharp from 'sharp';

/** Longest side of the picture overlays are drawn on: enough for a screen, small enough to cache. */
const PREVIEW_SIDE = 1024;

/**
 * The image as the detection judged it (EXIF orientation applied when it was), scaled to fit
 * PREVIEW_SIDE, as JPEG: what `overlay` pictures are drawn on. Kept beside the result so that an
 * overlay never needs the upload again.
 */
export async function makePreview(bytes: Buffer, autoOrient: boolean): Promise<{ jpeg: Buffer; width: number; height: number }> {
  let image = sharp(bytes, { failOn: 'none' });
  if (autoOrient) image = image.rotate();
  const { data, info } = await image
    .resize({ width: PREVIEW_SIDE, height: PREVIEW_SIDE, fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 82 })
    .toBuffer({ resolveWithObject: true });
  return { jpeg: data, width: info.width, height: info.height };
}
