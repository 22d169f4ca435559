import sharp from 'sharp';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Images made in code: a regular woven texture with mild noise (the "normal" product), the same
 * with round defects painted in, and Ground Truth style masks for them. They feed the demo model
 * a fresh install trains (no downloads, no datasets needed) and the engine's tests.
 */

export const SIZE = 128;

export interface Defect {
  cx: number;
  cy: number;
  r: number;
  rgb: [number, number, number];
}

function noise(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a * 1664525 + 1013904223) >>> 0;
    return a / 4294967296;
  };
}

/** Raw RGB of the texture, optionally with round defects painted in. */
export function textureRgb(seed: number, defects: Defect[] = [], size = SIZE): Buffer {
  const rnd = noise(seed);
  const buf = Buffer.alloc(size * size * 3);
  const phase = Math.floor(rnd() * 4);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const weave = ((x + phase) >> 2) % 2 === ((y + phase) >> 2) % 2 ? 150 : 110;
      const n = (rnd() - 0.5) * 16;
      let rgb = [weave + 30 + n, weave + 10 + n, weave - 20 + n];
      for (const d of defects) if ((x - d.cx) ** 2 + (y - d.cy) ** 2 <= d.r ** 2) rgb = d.rgb;
      const o = (y * size + x) * 3;
      buf[o] = Math.max(0, Math.min(255, rgb[0]));
      buf[o + 1] = Math.max(0, Math.min(255, rgb[1]));
      buf[o + 2] = Math.max(0, Math.min(255, rgb[2]));
    }
  return buf;
}

export function png(rgb: Buffer, size = SIZE, channels: 3 | 4 = 3): Promise<Buffer> {
  return sharp(rgb, { raw: { width: size, height: size, channels } })
    .png()
    .toBuffer();
}

export function jpeg(rgb: Buffer, size = SIZE): Promise<Buffer> {
  return sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** A mask: black background (as the AWS samples) with the defect in `hex`. */
export async function maskPng(defects: Defect[], hex: string, size = SIZE): Promise<Buffer> {
  const n = parseInt(hex.slice(1), 16);
  const colour = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  const buf = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) if (defects.some((d) => (x - d.cx) ** 2 + (y - d.cy) ** 2 <= d.r ** 2)) buf.set(colour, (y * size + x) * 3);
  return png(buf, size);
}

export const CRACK = { name: 'cracked', color: '#23A436' };

/** Defect positions that vary from image to image, away from the border. */
export function defectFor(i: number): Defect {
  return { cx: 30 + ((i * 37) % 68), cy: 30 + ((i * 53) % 68), r: 9, rgb: [40, 40, 200] };
}

/**
 * Writes a segmentation dataset: `normals` clean images, `anomalies` images with a defect and
 * their masks, and a Lookout for Vision manifest with relative references.
 */
export async function writeSegmentationDataset(dir: string, normals: number, anomalies: number): Promise<string> {
  await mkdir(join(dir, 'images'), { recursive: true });
  await mkdir(join(dir, 'masks'), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < normals; i++) {
    await writeFile(join(dir, 'images', `normal-${i}.png`), await png(textureRgb(100 + i)));
    lines.push(
      JSON.stringify({
        'source-ref': `images/normal-${i}.png`,
        'anomaly-label': 0,
        'anomaly-label-metadata': { 'class-name': 'normal', type: 'groundtruth/image-classification' },
      }),
    );
  }
  for (let i = 0; i < anomalies; i++) {
    const d = defectFor(i);
    await writeFile(join(dir, 'images', `anomaly-${i}.png`), await png(textureRgb(500 + i, [d])));
    await writeFile(join(dir, 'masks', `anomaly-${i}.png`), await maskPng([d], CRACK.color));
    lines.push(
      JSON.stringify({
        'source-ref': `images/anomaly-${i}.png`,
        'anomaly-label': 1,
        'anomaly-label-metadata': { 'class-name': 'anomaly', type: 'groundtruth/image-classification' },
        'anomaly-mask-ref': `masks/anomaly-${i}.png`,
        'anomaly-mask-ref-metadata': {
          'internal-color-map': { '0': { 'class-name': CRACK.name, 'hex-color': CRACK.color } },
          type: 'groundtruth/semantic-segmentation',
        },
      }),
    );
  }
  const manifest = join(dir, 'train.manifest');
  await writeFile(manifest, lines.join('\n') + '\n');
  return manifest;
}
