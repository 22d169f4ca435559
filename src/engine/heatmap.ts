import sharp from 'sharp';
import type { DetectionResult } from './detector';
import { resizeBilinear } from './scoring/anomaly-map';

/**
 * A detection's anomaly map, kept small enough to cache beside its result (a few hundred bytes)
 * and drawn into pictures only when someone asks: the patch grid quantized to 0-255 over 0 to
 * twice the threshold, which is the whole range a heat map shows.
 */
export interface HeatGrid {
  /** The grid, row-major, base64 of one byte per cell. */
  cells: string;
  gridWidth: number;
  gridHeight: number;
  /** The scored region of the image; outside it nothing was scored. */
  roi: { left: number; top: number; width: number; height: number };
  /** The image size the grid belongs to. */
  width: number;
  height: number;
}

export function heatGridOf(r: Pick<DetectionResult, 'anomalyMap' | 'mapThreshold' | 'image'>): HeatGrid {
  const { anomalyMap: map, mapThreshold } = r;
  const cells = Buffer.alloc(map.width * map.height);
  for (let i = 0; i < cells.length; i++) cells[i] = Math.round(255 * Math.max(0, Math.min(1, map.data[i] / (2 * mapThreshold))));
  const { left, top, width, height } = map.roi;
  return {
    cells: cells.toString('base64'),
    gridWidth: map.width,
    gridHeight: map.height,
    roi: { left, top, width, height },
    width: r.image.width,
    height: r.image.height,
  };
}

/** Blue where patches look like the training normals, through green, to red at twice the threshold (yellow-green at it). */
function colour(t: number, out: Buffer, o: number): void {
  out[o] = Math.round(255 * Math.max(0, Math.min(1, 2 * t - 0.5)));
  out[o + 1] = Math.round(255 * (1 - Math.abs(2 * t - 1)));
  out[o + 2] = Math.round(255 * Math.max(0, Math.min(1, 1.5 - 2 * t)));
}

/**
 * The heat map as raw RGB at `width` x `height` (the image's size, or a smaller picture of it),
 * with each pixel's level 0-1 beside it for blending. Outside the region of interest the image
 * was not scored: black, level 0.
 */
export function heatPixels(grid: HeatGrid, width = grid.width, height = grid.height): { rgb: Buffer; level: Float32Array } {
  const bytes = Buffer.from(grid.cells, 'base64');
  const data = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) data[i] = bytes[i] / 255;
  const sx = width / grid.width;
  const sy = height / grid.height;
  const roi = {
    left: Math.round(grid.roi.left * sx),
    top: Math.round(grid.roi.top * sy),
    width: Math.max(1, Math.round(grid.roi.width * sx)),
    height: Math.max(1, Math.round(grid.roi.height * sy)),
  };
  const map = resizeBilinear({ width: grid.gridWidth, height: grid.gridHeight, data }, roi.width, roi.height);
  const rgb = Buffer.alloc(width * height * 3);
  const level = new Float32Array(width * height);
  for (let y = 0; y < roi.height && roi.top + y < height; y++)
    for (let x = 0; x < roi.width && roi.left + x < width; x++) {
      const t = map.data[y * roi.width + x];
      const p = (roi.top + y) * width + roi.left + x;
      level[p] = t;
      colour(t, rgb, p * 3);
    }
  return { rgb, level };
}

export function renderHeatGrid(grid: HeatGrid): Promise<Buffer> {
  const { rgb } = heatPixels(grid);
  return sharp(rgb, { raw: { width: grid.width, height: grid.height, channels: 3 } })
    .png()
    .toBuffer();
}

/** The CLI's heat map, straight from a detection. */
export function renderHeatMap(r: DetectionResult): Promise<Buffer> {
  return renderHeatGrid(heatGridOf(r));
}
