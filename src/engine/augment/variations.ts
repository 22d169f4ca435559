import sharp from 'sharp';
import { decoding, type Box, type RgbImage } from '../image/decode';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from '../image/image-header';
import type { Rng } from '../random';

/**
 * What changes on a production line between the day a model was trained and the day it runs,
 * made from a normal image: light, a glare, the background near an edge (a tray's rim sliding
 * into view), the part's position, and, for parts that lie in any orientation, rotation.
 *
 * Two users: training rotates normals into the memory bank when told that parts lie in any
 * orientation, and scores varied held-out normals so that the threshold is not fitted to one
 * capture session; the engine benchmark's shift suite measures the false positives these
 * changes cause on held-out normals. Both go through the same decode path as a client's image:
 * a variation is rendered to a lossless PNG and scored like any upload.
 */
export type Variation =
  | { kind: 'brightness'; factor: number }
  /** A specular highlight: a white disc with a soft edge at (x, y), radius in fractions of the short side. */
  | { kind: 'glare'; x: number; y: number; radius: number }
  /**
   * A band of another surface entering from an edge, `size` a fraction of the frame across it.
   * `shade` (0-1) sets how far its grey lies from the fixture's: dark on a light fixture, light on a dark one.
   */
  | { kind: 'strip'; edge: 'top' | 'bottom' | 'left' | 'right'; size: number; shade: number }
  /** The content moved by fractions of the frame; the uncovered edge mirrors the scene, so it keeps its texture. */
  | { kind: 'shift'; dx: number; dy: number }
  | { kind: 'rotate'; degrees: number }
  | { kind: 'flip'; axis: 'horizontal' | 'vertical' };

export function describe(v: Variation): string {
  switch (v.kind) {
    case 'brightness':
      return `brightness ${v.factor > 1 ? '+' : ''}${Math.round((v.factor - 1) * 100)} %`;
    case 'glare':
      return 'glare';
    case 'strip':
      return `background strip (${v.edge})`;
    case 'shift':
      return 'shift 5 %';
    case 'rotate':
      return `rotation ${v.degrees}°`;
    case 'flip':
      return `${v.axis} flip`;
  }
}

/** Median colour of the frame's outermost pixels: what a rotation uncovers should look like the fixture. */
function borderColour(raw: Buffer, w: number, h: number): [number, number, number] {
  const values: number[][] = [[], [], []];
  const take = (x: number, y: number) => {
    const i = (y * w + x) * 3;
    for (let c = 0; c < 3; c++) values[c].push(raw[i + c]);
  };
  for (let x = 0; x < w; x += 2) {
    take(x, 0);
    take(x, h - 1);
  }
  for (let y = 0; y < h; y += 2) {
    take(0, y);
    take(w - 1, y);
  }
  return values.map((v) => v.sort((a, b) => a - b)[v.length >> 1]) as [number, number, number];
}

async function rawRgb(bytes: Uint8Array, limits: ImageLimits) {
  return decoding(() =>
    sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'warning', pages: 1 })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true }),
  );
}

const mirror = (i: number, n: number) => (i < 0 ? Math.min(n - 1, -i - 1) : i >= n ? Math.max(0, 2 * n - i - 1) : i);

/** Renders a variation of an image as a PNG of the same size: what a client would upload. */
export async function applyVariation(bytes: Uint8Array, v: Variation, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<Buffer> {
  const { data, info } = await rawRgb(bytes, limits);
  const varied = await varyPixels({ data, width: info.width, height: info.height }, v);
  return sharp(varied.data, { raw: { width: varied.width, height: varied.height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

/**
 * The same on decoded RGB. Training renders its variations here, on the model-sized image after
 * the crop, instead of on the full photograph: a 2000 x 1334 board costs a PNG encode and decode
 * of 2.7 MP per variation otherwise, which tripled its training time.
 */
export async function varyPixels(image: RgbImage, v: Variation): Promise<RgbImage> {
  const { data, width: w, height: h } = image;
  const out = Buffer.from(data);
  const same = (buf: Buffer): RgbImage => ({ data: buf, width: w, height: h });
  switch (v.kind) {
    case 'brightness':
      for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.round(out[i] * v.factor));
      return same(out);
    case 'glare': {
      // A Gaussian highlight that saturates at its centre, as a specular reflection does.
      const r = v.radius * Math.min(w, h);
      const cx = v.x * w;
      const cy = v.y * h;
      for (let y = Math.max(0, Math.floor(cy - 2 * r)); y < Math.min(h, Math.ceil(cy + 2 * r)); y++)
        for (let x = Math.max(0, Math.floor(cx - 2 * r)); x < Math.min(w, Math.ceil(cx + 2 * r)); x++) {
          const d = Math.hypot(x - cx, y - cy) / r;
          const a = Math.min(1, 1.2 * Math.exp(-2 * d * d));
          const i = (y * w + x) * 3;
          for (let c = 0; c < 3; c++) out[i + c] = Math.round(out[i + c] + (255 - out[i + c]) * a);
        }
      return same(out);
    }
    case 'strip': {
      const border = borderColour(data, w, h);
      const light = (border[0] + border[1] + border[2]) / 3 > 127;
      const grey = light ? Math.round(30 + 60 * v.shade) : Math.round(140 + 80 * v.shade);
      const across = v.edge === 'top' || v.edge === 'bottom' ? h : w;
      const depth = Math.max(1, Math.round(v.size * across));
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const inward = v.edge === 'top' ? y : v.edge === 'bottom' ? h - 1 - y : v.edge === 'left' ? x : w - 1 - x;
          if (inward >= depth) continue;
          // A lit rim where the strip meets the scene, then a surface with a little texture.
          const rim = inward >= depth - Math.max(2, depth * 0.12);
          const grain = ((x * 7 + y * 13) % 11) - 5;
          const i = (y * w + x) * 3;
          for (let c = 0; c < 3; c++) out[i + c] = Math.max(0, Math.min(255, rim ? (light ? 90 : 230) + grain : grey + grain));
        }
      return same(out);
    }
    case 'shift': {
      const ox = Math.round(v.dx * w);
      const oy = Math.round(v.dy * h);
      for (let y = 0; y < h; y++) {
        const sy = mirror(y - oy, h);
        for (let x = 0; x < w; x++) {
          const sx = mirror(x - ox, w);
          data.copy(out, (y * w + x) * 3, (sy * w + sx) * 3, (sy * w + sx) * 3 + 3);
        }
      }
      return same(out);
    }
    case 'flip':
      return same(
        await sharp(data, { raw: { width: w, height: h, channels: 3 } })
          [v.axis === 'horizontal' ? 'flop' : 'flip']()
          .raw()
          .toBuffer(),
      );
    case 'rotate': {
      const [r, g, b] = borderColour(data, w, h);
      // sharp grows the canvas to hold the rotated frame; the centre, at the original size, is
      // what a camera that did not move would see of a part lying at another angle.
      const rotated = await sharp(data, { raw: { width: w, height: h, channels: 3 } })
        .rotate(v.degrees, { background: { r, g, b } })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const rw = rotated.info.width;
      const rh = rotated.info.height;
      const padX = Math.max(0, w - rw);
      const padY = Math.max(0, h - rh);
      let img = sharp(rotated.data, { raw: { width: rw, height: rh, channels: 3 } });
      if (padX || padY) {
        img = sharp(
          await img
            .extend({ left: padX >> 1, right: padX - (padX >> 1), top: padY >> 1, bottom: padY - (padY >> 1), background: { r, g, b } })
            .raw()
            .toBuffer(),
          { raw: { width: rw + padX, height: rh + padY, channels: 3 } },
        );
      }
      const left = Math.floor((rw + padX - w) / 2);
      const top = Math.floor((rh + padY - h) / 2);
      return same(await img.extract({ left, top, width: w, height: h }).raw().toBuffer());
    }
  }
}

/** The rotations a bank learns when parts lie in any orientation: the right angles and two between them. */
export const BANK_ROTATIONS = [90, 180, 270, 45, 135] as const;

const EDGES = ['top', 'bottom', 'left', 'right'] as const;

/**
 * The changes a threshold should tolerate, for calibration at training: light and framing, and
 * rotation for parts in any orientation. Glare and a foreign strip are left out: they add
 * content, which a threshold cannot tell from a defect without giving up the defects (counting
 * them cost cookies F1 0.89 -> 0.81 in CV). Amounts are drawn, not fixed, so the benchmark's
 * fixed shift suite (below) is never the set training saw.
 */
export function calibrationVariations(rng: Rng, options: { rotations?: boolean } = {}): Variation[] {
  const angle = rng() * 2 * Math.PI;
  const light = 0.08 + 0.08 * rng();
  const reach = 0.02 + 0.04 * rng();
  const out: Variation[] = [
    { kind: 'brightness', factor: 1 + light },
    { kind: 'brightness', factor: 1 - light },
    { kind: 'shift', dx: reach * Math.cos(angle), dy: reach * Math.sin(angle) },
  ];
  if (options.rotations) out.push({ kind: 'rotate', degrees: 10 + Math.round(rng() * 340) });
  return out;
}

/**
 * One set of the changes a new capture session brings, drawn for one image. The strip enters
 * from the edge with the most room between the frame and the part (`part`, as roi.ts finds it),
 * and stops short of the part: it changes the background, not the part. Where the part fills the
 * frame there is no background to change and no strip.
 */
export function sessionVariations(rng: Rng, options: { rotations?: boolean; part?: Box | null } = {}): Variation[] {
  const angle = rng() * 2 * Math.PI;
  const glare: Variation = { kind: 'glare', x: 0.3 + 0.4 * rng(), y: 0.3 + 0.4 * rng(), radius: 0.015 + 0.02 * rng() };
  const wanted = 0.04 + 0.04 * rng();
  const shade = rng();
  const part = options.part ?? { left: 0.1, top: 0.1, width: 0.8, height: 0.8 };
  const room = { top: part.top, bottom: 1 - part.top - part.height, left: part.left, right: 1 - part.left - part.width };
  const edge = EDGES.reduce((a, b) => (room[b] > room[a] ? b : a));
  const out: Variation[] = [{ kind: 'brightness', factor: 1.15 }, { kind: 'brightness', factor: 0.85 }, glare];
  if (room[edge] >= 0.02) out.push({ kind: 'strip', edge, size: Math.min(wanted, 0.8 * room[edge]), shade });
  out.push({ kind: 'shift', dx: 0.05 * Math.cos(angle), dy: 0.05 * Math.sin(angle) });
  if (options.rotations) out.push({ kind: 'rotate', degrees: 36 }, { kind: 'rotate', degrees: 90 }, { kind: 'rotate', degrees: 137 });
  return out;
}
