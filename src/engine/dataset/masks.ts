import sharp from 'sharp';
import { AppError } from '../../errors';
import type { Box } from '../image/decode';
import { readMask } from './read-entry';
import type { FileAccess } from './file-access';
import type { AnomalyClass, DatasetEntry } from './types';

/**
 * Reads a Ground Truth mask into a label map: 0 for background, i + 1 for `classes[i]`.
 *
 * Masks come in three forms in the wild (see the cookies sample): palette PNGs, RGB, and RGBA with
 * a transparent background and soft alpha edges. Alpha below one half is background; every other
 * pixel takes the nearest of the class colours and the two background conventions (white, as the
 * manual says, and black, as the AWS samples use). Nearest-colour matching absorbs anti-aliasing
 * and JPEG-style noise that an exact match would turn into holes.
 */
export async function readMaskLabels(
  bytes: Buffer,
  name: string,
  classes: AnomalyClass[],
  image: { width: number; height: number },
  roi: Box,
  size: { width: number; height: number },
): Promise<Uint8Array> {
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    const meta = await sharp(bytes).metadata();
    if (meta.format !== 'png') throw new Error(`it is ${meta.format ?? 'not an image'}, not PNG`);
    let pipeline = sharp(bytes, { limitInputPixels: 4096 * 4096 })
      .ensureAlpha()
      .toColourspace('srgb');
    // A mask must cover its image; one saved at another scale is stretched onto it.
    if (meta.width !== image.width || meta.height !== image.height) {
      pipeline = sharp(await pipeline.resize(image.width, image.height, { fit: 'fill', kernel: 'nearest' }).png().toBuffer()).ensureAlpha();
    }
    raw = await pipeline.extract(roi).resize(size.width, size.height, { fit: 'fill', kernel: 'nearest' }).raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new AppError('MASK_INVALID', `The mask "${name}" cannot be read: ${(err as Error).message}`, { path: name }, { cause: err });
  }
  const palette = classes.map((c) => hexToRgb(c.color));
  const backgrounds = [
    [255, 255, 255],
    [0, 0, 0],
  ].filter((bg) => !palette.some((p) => p.every((v, i) => v === bg[i])));
  const { data, info } = raw;
  const labels = new Uint8Array(info.width * info.height);
  const ch = info.channels;
  for (let p = 0, i = 0; p < labels.length; p++, i += ch) {
    if (data[i + 3] < 128) continue;
    let best = 0;
    let bestDist = Infinity;
    for (const bg of backgrounds) {
      const d = dist(data, i, bg);
      if (d < bestDist) [best, bestDist] = [0, d];
    }
    palette.forEach((rgb, k) => {
      const d = dist(data, i, rgb);
      if (d < bestDist) [best, bestDist] = [k + 1, d];
    });
    labels[p] = best;
  }
  return labels;
}

/**
 * An entry's mask as labels of the dataset's `classes`. The mask is read in its own colours (its
 * line's colour map), which need not be the colours the types are shown in: MVTec masks are white
 * on black whatever the defect, and two lines may colour one type differently.
 */
export async function entryMaskLabels(
  entry: DatasetEntry,
  files: FileAccess | undefined,
  classes: AnomalyClass[],
  image: { width: number; height: number },
  roi: Box,
  size: { width: number; height: number },
): Promise<Uint8Array> {
  const own = entry.maskClasses?.length ? entry.maskClasses : classes;
  const labels = await readMaskLabels(await readMask(entry, files), entry.maskRef ?? entry.mask!, own, image, roi, size);
  if (own === classes) return labels;
  // A type the dataset does not know stays marked as a defect (for pixel figures) under the first type.
  const to = own.map((c) => Math.max(1, classes.findIndex((k) => k.name === c.name) + 1));
  return labels.map((v) => (v ? to[v - 1] : 0));
}

/** Tableau's ten, as SageMaker Ground Truth colours labels: what types are shown in when theirs cannot be. */
const PALETTE = ['#1F77B4', '#FF7F0E', '#2CA02C', '#D62728', '#9467BD', '#8C564B', '#E377C2', '#7F7F7F', '#BCBD22', '#17BECF'];

/**
 * The colours types are shown in: their own, unless it is a background colour (white or black, as
 * binary masks have) or an earlier type already shows in it; then the first free palette colour.
 */
export function displayColours(classes: AnomalyClass[]): AnomalyClass[] {
  const used = new Set<string>();
  return classes.map((c) => {
    let color = c.color;
    if (color === '#FFFFFF' || color === '#000000' || used.has(color)) color = PALETTE.find((p) => !used.has(p)) ?? freeGrey(used);
    used.add(color);
    return color === c.color ? c : { ...c, color };
  });
}

function freeGrey(used: Set<string>): string {
  for (let v = 16; v < 240; v++) {
    const hex = `#${v.toString(16).toUpperCase().padStart(2, '0').repeat(3)}`;
    if (!used.has(hex)) return hex;
  }
  return '#808080';
}

function dist(data: Buffer, i: number, rgb: number[]): number {
  const r = data[i] - rgb[0];
  const g = data[i + 1] - rgb[1];
  const b = data[i + 2] - rgb[2];
  return r * r + g * g + b * b;
}

export function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
