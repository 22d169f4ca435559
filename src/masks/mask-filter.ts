import sharp from 'sharp';
import { hexToRgb } from '../engine/dataset/masks';

/**
 * One anomaly type's mask, cut from the combined mask: its colour kept, everything else white.
 * Derived when asked for, so only the combined PNG is stored.
 */
export async function singleTypeMask(combined: Buffer, color: string): Promise<Buffer> {
  const { data, info } = await sharp(combined).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const [r, g, b] = hexToRgb(color);
  for (let i = 0; i < data.length; i += 3) {
    if (data[i] !== r || data[i + 1] !== g || data[i + 2] !== b) data[i] = data[i + 1] = data[i + 2] = 255;
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .png()
    .toBuffer();
}
