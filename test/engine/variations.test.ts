import sharp from 'sharp';
import { applyVariation, calibrationVariations, sessionVariations } from '../../src/engine/augment/variations';
import { seededRng } from '../../src/engine/random';

/** The changes of a new capture session, rendered on a small image made here. */

const W = 96;
const H = 64;

/** A dark fixture with a bright part in the middle, and a marker in the part's top-left corner. */
function scene(): Buffer {
  const rgb = Buffer.alloc(W * H * 3, 30);
  for (let y = 16; y < 48; y++) for (let x = 24; x < 72; x++) rgb.fill(200, (y * W + x) * 3, (y * W + x) * 3 + 3);
  for (let y = 16; y < 22; y++) for (let x = 24; x < 30; x++) rgb.set([250, 0, 0], (y * W + x) * 3);
  return rgb;
}

async function raw(png: Buffer) {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    data,
    width: info.width,
    height: info.height,
    at: (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)],
  };
}

let source: Buffer;
beforeAll(async () => {
  source = await sharp(scene(), { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toBuffer();
});

test('brightness scales every channel and clips at white', async () => {
  const out = await raw(await applyVariation(source, { kind: 'brightness', factor: 1.15 }));
  expect(out.at(2, 2)).toEqual([35, 35, 35]);
  expect(out.at(40, 30)).toEqual([230, 230, 230]);
  expect(out.at(26, 18)).toEqual([255, 0, 0]);
});

test('a strip enters from the edge, stops short of the part, and contrasts with the fixture', async () => {
  const part = { left: 24 / W, top: 16 / H, width: 48 / W, height: 32 / H };
  const v = sessionVariations(seededRng(1), { part }).find((x) => x.kind === 'strip');
  expect(v).toBeDefined();
  const out = await raw(await applyVariation(source, v!));
  const before = await raw(source);
  let changedInPart = 0;
  let changedAtEdge = 0;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const changed = out.at(x, y).some((c, i) => c !== before.at(x, y)[i]);
      if (changed && x >= 24 && x < 72 && y >= 16 && y < 48) changedInPart++;
      if (changed) changedAtEdge++;
    }
  expect(changedInPart).toBe(0);
  expect(changedAtEdge).toBeGreaterThan(W * 2);
  // On a dark fixture the strip is light.
  const strip = v as { edge: string };
  const probe = strip.edge === 'left' ? out.at(0, 30) : strip.edge === 'right' ? out.at(W - 1, 30) : strip.edge === 'top' ? out.at(40, 0) : out.at(40, H - 1);
  expect(probe[0]).toBeGreaterThan(120);
});

test('no strip where the part fills the frame', () => {
  const kinds = sessionVariations(seededRng(2), { part: { left: 0, top: 0.01, width: 1, height: 0.98 } }).map((v) => v.kind);
  expect(kinds).not.toContain('strip');
  expect(kinds).toEqual(['brightness', 'brightness', 'glare', 'shift']);
});

test('a shift moves the content and mirrors it into the uncovered edge', async () => {
  const out = await raw(await applyVariation(source, { kind: 'shift', dx: 0.125, dy: 0 })); // 12 px right
  expect(out.at(26 + 12, 18)).toEqual([250, 0, 0]);
  expect(out.at(0, 30)).toEqual(out.at(23, 30)); // x = 0 mirrors source x = 11: fixture
});

test('a glare brightens a small spot and nothing far from it', async () => {
  const out = await raw(await applyVariation(source, { kind: 'glare', x: 0.5, y: 0.5, radius: 0.1 }));
  expect(out.at(48, 32)[0]).toBe(255);
  expect(out.at(2, 2)).toEqual([30, 30, 30]);
});

test('a rotation keeps the frame size and fills what it uncovers with the fixture colour', async () => {
  const quarter = await raw(await applyVariation(source, { kind: 'rotate', degrees: 180 }));
  expect([quarter.width, quarter.height]).toEqual([W, H]);
  expect(quarter.at(W - 1 - 26, H - 1 - 18)).toEqual([250, 0, 0]);
  const odd = await raw(await applyVariation(source, { kind: 'rotate', degrees: 37 }));
  expect([odd.width, odd.height]).toEqual([W, H]);
  expect(odd.at(0, 0)).toEqual([30, 30, 30]);
});

test('calibration draws only the changes a threshold should tolerate', () => {
  const kinds = new Set(Array.from({ length: 20 }, (_, i) => calibrationVariations(seededRng(i), { rotations: true }).map((v) => v.kind)).flat());
  expect([...kinds].sort()).toEqual(['brightness', 'rotate', 'shift']);
});
