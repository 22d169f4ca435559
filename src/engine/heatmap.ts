import sharp from 'sharp';
import type { DetectionResult } from './detector';
import { resizeBilinear } from './scoring/anomaly-map';

/**
 * Renders a detection's anomaly map as a PNG the size of the input: blue where patches look like
 * the training normals, through green, to red at twice the threshold (yellow-green at the
 * threshold itself). Outside the region of interest the image was not scored and stays black.
 */
export async function renderHeatMap(r: DetectionResult): Promise<Buffer> {
  const { roi } = r.anomalyMap;
  const map = resizeBilinear(r.anomalyMap, roi.width, roi.height);
  const { width, height } = r.image;
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < roi.height; y++)
    for (let x = 0; x < roi.width; x++) {
      const t = Math.max(0, Math.min(1, map.data[y * roi.width + x] / (2 * r.mapThreshold)));
      const o = ((roi.top + y) * width + roi.left + x) * 3;
      rgb[o] = Math.round(255 * Math.max(0, Math.min(1, 2 * t - 0.5)));
      rgb[o + 1] = Math.round(255 * (1 - Math.abs(2 * t - 1)));
      rgb[o + 2] = Math.round(255 * Math.max(0, Math.min(1, 1.5 - 2 * t)));
    }
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}
