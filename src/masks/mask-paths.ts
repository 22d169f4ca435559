/**
 * Mask URLs: `/masks/<detection id>/<name>.png`, where name is `all` for the combined mask or an
 * anomaly type (URL-encoded). The path is what gets signed.
 */
export function maskPath(detectionId: string, name: string): string {
  return `/masks/${detectionId}/${encodeURIComponent(name)}.png`;
}

/** Out-of-band upload URLs: `/uploads/<upload id>`, signed for PUT. */
export function uploadPath(uploadId: string): string {
  return `/uploads/${uploadId}`;
}

export type PictureKind = 'heatmap' | 'overlay';

export const PICTURE_FILES: Record<PictureKind, { file: string; contentType: string }> = {
  heatmap: { file: 'heatmap.png', contentType: 'image/png' },
  overlay: { file: 'overlay.jpg', contentType: 'image/jpeg' },
};

/** Pictures drawn from a result when asked for: `/pictures/<detection id>/heatmap.png` or `overlay.jpg`. */
export function picturePath(detectionId: string, kind: PictureKind): string {
  return `/pictures/${detectionId}/${PICTURE_FILES[kind].file}`;
}
