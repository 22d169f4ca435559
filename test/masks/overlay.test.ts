import sharp from 'sharp';
import { heatGridOf, renderHeatGrid } from '../../src/engine/heatmap';
import { renderOverlay } from '../../src/masks/overlay';

/**
 * A classification model's overlay: its heat map tints only what looks anomalous, in proportion,
 * and leaves what looks normal as it was. Made in code: a 4x4 anomaly map hot in one corner.
 */

function grid(hot: { x: number; y: number }) {
  const data = new Float32Array(16).fill(0);
  data[hot.y * 4 + hot.x] = 2; // twice the threshold: the heat map's red end
  return heatGridOf({
    anomalyMap: { width: 4, height: 4, data, roi: { left: 0, top: 0, width: 64, height: 64 } },
    mapThreshold: 1,
    image: { width: 64, height: 64, format: 'png' },
  });
}

test('the hot cell is tinted red, cold cells keep the image', async () => {
  const grey = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 128, g: 128, b: 128 } } })
    .jpeg({ quality: 95 })
    .toBuffer();
  const { jpeg, width, height } = await renderOverlay(grey, { mask: null, heat: grid({ x: 3, y: 0 }) });
  expect([width, height]).toEqual([64, 64]);
  const { data } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => [...data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)];
  const [r, g, b] = at(56, 8);
  expect(r).toBeGreaterThan(g + 40);
  expect(r).toBeGreaterThan(b + 40);
  at(8, 56).forEach((v) => expect(Math.abs(v - 128)).toBeLessThan(6));
});

test('the heat map PNG spans blue (normal) to red (twice the threshold)', async () => {
  const png = await renderHeatGrid(grid({ x: 0, y: 3 }));
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([64, 64]);
  const at = (x: number, y: number) => [...data.subarray((y * 64 + x) * info.channels, (y * 64 + x) * info.channels + 3)];
  // Cell centres are interpolated, so the ends are approached, not always met.
  const [hr, hg, hb] = at(8, 56);
  expect([hr, hb]).toEqual([255, 0]);
  expect(hg).toBeLessThan(40);
  expect(at(56, 8)).toEqual([0, 0, 255]);
});
