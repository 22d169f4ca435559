import sharp from 'sharp';
import type { AnomalyClass } from './dataset/types';
import { hexToRgb } from './dataset/masks';
import type { FeatureMap } from './features/extractor';
import type { Box } from './image/decode';
import { resizeBilinear, type Map2D } from './scoring/anomaly-map';

/**
 * Segmentation in Lookout for Vision's terms: which pixels are anomalous, of which type, what
 * share of the image each type covers, and a mask PNG the size of the input (white background,
 * each type in its colour).
 *
 * Where a pixel is anomalous comes from the anomaly map and a pixel threshold fitted on the
 * training masks. Which type it is comes from the patch features: each type has a prototype (the
 * mean feature of the patches its training masks cover) and an anomalous patch takes the nearest
 * prototype. With one type there is nothing to choose.
 */

export interface SegmentedAnomaly {
  name: string;
  color: string;
  /** Fraction 0-1 of the whole image, as Lookout for Vision reported it. */
  totalPercentageArea: number;
}

export interface Segmentation {
  /** `background` first, then each type found, as Lookout for Vision ordered them. */
  anomalies: SegmentedAnomaly[];
  mask: { png: Buffer; width: number; height: number };
}

export const BACKGROUND = { name: 'background', color: '#FFFFFF' };

/** Majority label per grid cell among labelled pixels, 0 where less than `minCover` is anomalous. */
export function labelsOnGrid(
  labels: Uint8Array,
  size: { width: number; height: number },
  grid: { width: number; height: number },
  classes: number,
  minCover = 0.3,
): Uint8Array {
  const out = new Uint8Array(grid.width * grid.height);
  const counts = new Float64Array((classes + 1) * out.length);
  for (let y = 0; y < size.height; y++) {
    const gy = Math.min(grid.height - 1, Math.floor((y * grid.height) / size.height));
    for (let x = 0; x < size.width; x++) {
      const gx = Math.min(grid.width - 1, Math.floor((x * grid.width) / size.width));
      counts[(gy * grid.width + gx) * (classes + 1) + labels[y * size.width + x]]++;
    }
  }
  for (let c = 0; c < out.length; c++) {
    let total = 0;
    let best = 0;
    let bestCount = 0;
    for (let k = 0; k <= classes; k++) {
      const v = counts[c * (classes + 1) + k];
      total += v;
      if (k > 0 && v > bestCount) [best, bestCount] = [k, v];
    }
    out[c] = total > 0 && bestCount / total >= minCover ? best : 0;
  }
  return out;
}

/** Mean feature per anomaly type over the grid cells labelled with it: [classes, dims]. */
export function classPrototypes(samples: { features: FeatureMap; cellLabels: Uint8Array }[], classes: number, dims: number): Float32Array {
  const sums = new Float64Array(classes * dims);
  const counts = new Float64Array(classes);
  for (const { features: f, cellLabels } of samples) {
    const n = f.width * f.height;
    for (let i = 0; i < n; i++) {
      const k = cellLabels[i];
      if (!k) continue;
      counts[k - 1]++;
      for (let d = 0; d < dims; d++) sums[(k - 1) * dims + d] += f.data[d * n + i];
    }
  }
  const out = new Float32Array(classes * dims);
  for (let k = 0; k < classes; k++) for (let d = 0; d < dims; d++) out[k * dims + d] = counts[k] ? sums[k * dims + d] / counts[k] : 0;
  return out;
}

function nearestClassPerCell(f: FeatureMap, prototypes: Float32Array, classes: number): Uint8Array {
  const n = f.width * f.height;
  const out = new Uint8Array(n);
  if (classes === 1) return out.fill(1);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestDist = Infinity;
    for (let k = 0; k < classes; k++) {
      let d2 = 0;
      for (let d = 0; d < f.channels; d++) {
        const diff = f.data[d * n + i] - prototypes[k * f.channels + d];
        d2 += diff * diff;
      }
      if (d2 < bestDist) [best, bestDist] = [k + 1, d2];
    }
    out[i] = best;
  }
  return out;
}

/** The anomaly map resampled to the region's pixels (what masks and pixel metrics compare). */
export function pixelMap(grid: Map2D, roi: { width: number; height: number }): Map2D {
  return resizeBilinear(grid, roi.width, roi.height);
}

/** Masks with no anomaly are all alike; normal images are the common case, so keep a few. */
const blankMasks = new Map<string, Promise<Buffer>>();

function blankMask(width: number, height: number): Promise<Buffer> {
  const key = `${width}x${height}`;
  let png = blankMasks.get(key);
  if (!png) {
    png = sharp({ create: { width, height, channels: 3, background: '#FFFFFF' } })
      .png()
      .toBuffer();
    if (blankMasks.size >= 16) blankMasks.delete(blankMasks.keys().next().value!);
    blankMasks.set(key, png);
    png.catch(() => blankMasks.delete(key));
  }
  return png;
}

/**
 * The box of grid cells at or above the threshold, grown by one cell. A bilinearly resampled
 * pixel is a blend of its four nearest cells, so no pixel outside this box can reach the
 * threshold: only the box needs resampling, which for a small defect is a sliver of the image.
 */
function hotCells(grid: Map2D, threshold: number): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < grid.height; y++)
    for (let x = 0; x < grid.width; x++)
      if (grid.data[y * grid.width + x] >= threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  if (x1 < 0) return null;
  return { x0: Math.max(0, x0 - 1), y0: Math.max(0, y0 - 1), x1: Math.min(grid.width - 1, x1 + 1), y1: Math.min(grid.height - 1, y1 + 1) };
}

export async function segment(
  grid: Map2D,
  features: FeatureMap,
  image: { width: number; height: number },
  roi: Box,
  model: { classes: AnomalyClass[]; prototypes: Float32Array; pixelThreshold: number },
): Promise<Segmentation> {
  const hot = hotCells(grid, model.pixelThreshold);
  if (!hot) {
    return {
      anomalies: [{ ...BACKGROUND, totalPercentageArea: 1 }],
      mask: { png: await blankMask(image.width, image.height), width: image.width, height: image.height },
    };
  }
  const k = model.classes.length;
  const cellClass = nearestClassPerCell(features, model.prototypes, k);
  const colours = model.classes.map((c) => hexToRgb(c.color));
  const rgb = Buffer.alloc(image.width * image.height * 3, 255);
  const counts = new Float64Array(k + 1);
  // Pixel (x, y) of the region samples the grid at ((x + 0.5) * gw / w - 0.5, ...), as resizeBilinear.
  const sx = grid.width / roi.width;
  const sy = grid.height / roi.height;
  const px0 = Math.max(0, Math.floor(hot.x0 / sx));
  const px1 = Math.min(roi.width - 1, Math.ceil((hot.x1 + 1) / sx));
  const py0 = Math.max(0, Math.floor(hot.y0 / sy));
  const py1 = Math.min(roi.height - 1, Math.ceil((hot.y1 + 1) / sy));
  const g = grid.data;
  const gw = grid.width;
  for (let y = py0; y <= py1; y++) {
    const fy = Math.min(grid.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const gy0 = Math.floor(fy);
    const gy1 = Math.min(grid.height - 1, gy0 + 1);
    const wy = fy - gy0;
    const cy = Math.min(grid.height - 1, Math.floor(y * sy));
    for (let x = px0; x <= px1; x++) {
      const fx = Math.min(gw - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const gx0 = Math.floor(fx);
      const gx1 = Math.min(gw - 1, gx0 + 1);
      const wx = fx - gx0;
      const top = g[gy0 * gw + gx0] + (g[gy0 * gw + gx1] - g[gy0 * gw + gx0]) * wx;
      const bottom = g[gy1 * gw + gx0] + (g[gy1 * gw + gx1] - g[gy1 * gw + gx0]) * wx;
      if (top + (bottom - top) * wy < model.pixelThreshold) continue;
      const cls = cellClass[cy * gw + Math.min(gw - 1, Math.floor(x * sx))];
      counts[cls]++;
      const o = ((roi.top + y) * image.width + roi.left + x) * 3;
      const [r, gg, b] = colours[cls - 1];
      rgb[o] = r;
      rgb[o + 1] = gg;
      rgb[o + 2] = b;
    }
  }
  const total = image.width * image.height;
  const found = model.classes
    .map((c, i) => ({ name: c.name, color: c.color, totalPercentageArea: counts[i + 1] / total }))
    .filter((a) => a.totalPercentageArea > 0);
  const anomalous = found.reduce((s, a) => s + a.totalPercentageArea, 0);
  const png = found.length
    ? await sharp(rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
        .png({ compressionLevel: 4, adaptiveFiltering: false })
        .toBuffer()
    : await blankMask(image.width, image.height);
  return {
    anomalies: [{ ...BACKGROUND, totalPercentageArea: 1 - anomalous }, ...found],
    mask: { png, width: image.width, height: image.height },
  };
}
