import sharp from 'sharp';
import { heatPixels, type HeatGrid } from '../engine/heatmap';

/** How strongly marked pixels cover the image: the part stays visible under its marks. */
const MASK_OPACITY = 0.55;
const HEAT_OPACITY = 0.6;

/**
 * The image with what the model found drawn over it, at the preview's size: a segmentation
 * model's mask (each type in its colour), or, for a classification model, its heat map blended
 * by level, so regions that look normal stay clear and only the suspicious ones are tinted.
 */
export async function renderOverlay(
  preview: Buffer,
  marks: { mask: Buffer | null; heat: HeatGrid | null },
): Promise<{ jpeg: Buffer; width: number; height: number }> {
  const { data: base, info } = await sharp(preview).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  const out = Buffer.from(base);
  if (marks.mask) {
    const mask = await sharp(marks.mask).removeAlpha().resize(width, height, { kernel: 'nearest', fit: 'fill' }).raw().toBuffer();
    for (let p = 0; p < width * height; p++) {
      const o = p * 3;
      // White is background in Lookout for Vision's masks.
      if (mask[o] === 255 && mask[o + 1] === 255 && mask[o + 2] === 255) continue;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(base[o + c] * (1 - MASK_OPACITY) + mask[o + c] * MASK_OPACITY);
    }
  } else if (marks.heat) {
    const { rgb, level } = heatPixels(marks.heat, width, height);
    for (let p = 0; p < width * height; p++) {
      const a = HEAT_OPACITY * Math.min(1, level[p] * 1.5);
      if (a <= 0) continue;
      const o = p * 3;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(base[o + c] * (1 - a) + rgb[o + c] * a);
    }
  }
  const jpeg = await sharp(out, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
  return { jpeg, width, height };
}
