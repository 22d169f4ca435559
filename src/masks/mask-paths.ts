/**
 * Mask URLs: `/masks/<detection id>/<name>.png`, where name is `all` for the combined mask or an
 * anomaly type (URL-encoded). The path is what gets signed.
 */
export const MASK_ROUTE_PREFIX = '/masks/';

export function maskPath(detectionId: string, name: string): string {
  return `${MASK_ROUTE_PREFIX}${detectionId}/${encodeURIComponent(name)}.png`;
}
