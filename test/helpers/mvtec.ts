import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { defectFor, png, textureRgb, type Defect } from '../../src/engine/demo/synthetic';

/** Two defect types, told apart by colour, as MVTec's categories tell theirs apart by shape. */
export const MVTEC_TYPES: Record<string, (i: number) => Defect> = {
  hole: (i) => defectFor(i),
  stain: (i) => ({ ...defectFor(i + 7), r: 12, rgb: [210, 60, 40] }),
};

/** An MVTec mask: 8-bit grey, white defect on black, named `<stem>_mask.png`. */
export async function mvtecMask(defects: Defect[], size = 128): Promise<Buffer> {
  const buf = Buffer.alloc(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (defects.some((d) => (x - d.cx) ** 2 + (y - d.cy) ** 2 <= d.r ** 2)) buf[y * size + x] = 255;
  return sharp(buf, { raw: { width: size, height: size, channels: 1 } })
    .png()
    .toBuffer();
}

/**
 * Writes an MVTec AD folder: `train/good` normals, `test/good` normals, and `perType` images of
 * each defect type under `test/<type>` with their masks under `ground_truth/<type>`; macOS litter
 * too, which the reader must pass over. `put` lets a test write into a bucket instead.
 */
export async function writeMvtecFolder(
  root: string,
  counts: { trainGood: number; testGood: number; perType: number },
  put: (key: string, bytes: Buffer) => Promise<void> = async (key, bytes) => {
    await mkdir(join(root, key, '..'), { recursive: true });
    await writeFile(join(root, key), bytes);
  },
): Promise<void> {
  for (let i = 0; i < counts.trainGood; i++) await put(`train/good/${String(i).padStart(3, '0')}.png`, await png(textureRgb(100 + i)));
  for (let i = 0; i < counts.testGood; i++) await put(`test/good/${String(i).padStart(3, '0')}.png`, await png(textureRgb(300 + i)));
  for (const [t, [type, defect]] of Object.entries(MVTEC_TYPES).entries()) {
    for (let i = 0; i < counts.perType; i++) {
      const stem = String(i).padStart(3, '0');
      const d = defect(i);
      await put(`test/${type}/${stem}.png`, await png(textureRgb(500 + 50 * Number(t) + i, [d])));
      await put(`ground_truth/${type}/${stem}_mask.png`, await mvtecMask([d]));
    }
  }
  await put('.DS_Store', Buffer.from('junk'));
  await put(`test/${Object.keys(MVTEC_TYPES)[0]}/._000.png`, Buffer.from('junk'));
}
