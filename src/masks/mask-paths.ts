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
