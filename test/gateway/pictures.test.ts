import sharp from 'sharp';
import { defectFor, png, textureRgb } from '../helpers/images';
import { dataDirWithDemoModel, detect, multipart, postMultipart, startGateway, type Running } from './helpers';

/**
 * heatMap and overlay on a detection: signed URLs like the masks', pictures the size the fields
 * say, drawn where the defect is.
 */

const PICTURES = `mutation($image: Upload!) {
  detectAnomalies(input: { image: $image, projectName: "demo" }) {
    isAnomalous
    anomalyMask { url width height }
    heatMap { url width height contentType expiresAt }
    overlay { url width height contentType }
  }
}`;

let data: { path: string; cleanup: () => Promise<void> };
let gw: Running;

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  gw = await startGateway(data.path);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await data?.cleanup();
});

async function pictures(image: Buffer, type = 'image/png') {
  const res = await postMultipart(gw.url, multipart(PICTURES, { image: null }, [{ path: 'variables.image', bytes: image, type }]));
  expect(res.body.errors).toBeUndefined();
  return res.body.data.detectAnomalies;
}

async function fetchRaw(url: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
  return { type: res.headers.get('content-type'), width: info.width, height: info.height, at };
}

test('the heat map is red on the defect and blue on clean texture; the overlay marks the defect in the mask colour', async () => {
  const defect = defectFor(6);
  const image = await png(textureRgb(909, [defect]));
  const r = await pictures(image);
  expect(r.isAnomalous).toBe(true);
  expect(r.heatMap).toMatchObject({ width: 128, height: 128, contentType: 'image/png' });
  expect(r.overlay).toMatchObject({ width: 128, height: 128, contentType: 'image/jpeg' });

  const heat = await fetchRaw(r.heatMap.url);
  expect([heat.type, heat.width, heat.height]).toEqual(['image/png', 128, 128]);
  const [hr, , hb] = heat.at(defect.cx, defect.cy);
  expect(hr).toBeGreaterThan(hb);
  const far = { x: defect.cx > 64 ? 16 : 112, y: defect.cy > 64 ? 16 : 112 };
  const [fr, , fb] = heat.at(far.x, far.y);
  expect(fb).toBeGreaterThan(fr);

  const overlay = await fetchRaw(r.overlay.url);
  expect([overlay.type, overlay.width, overlay.height]).toEqual(['image/jpeg', 128, 128]);
  const { data: plain } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const plainAt = (x: number, y: number) => [...plain.subarray((y * 128 + x) * 3, (y * 128 + x) * 3 + 3)];
  // The defect is drawn blue-ish; the mask's green (#23A436) pulls its green channel up.
  expect(overlay.at(defect.cx, defect.cy)[1] - plainAt(defect.cx, defect.cy)[1]).toBeGreaterThan(30);
  // Away from the defect the overlay is the image (JPEG's error aside).
  overlay.at(far.x, far.y).forEach((v, c) => expect(Math.abs(v - plainAt(far.x, far.y)[c])).toBeLessThan(25));
});

test('pictures of a turned JPEG are as a browser shows it, like its mask', async () => {
  const wide = await sharp(textureRgb(910, [defectFor(2)], 128), { raw: { width: 128, height: 128, channels: 3 } })
    .resize(160, 128)
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const r = await pictures(wide, 'image/jpeg');
  expect(r.heatMap).toMatchObject({ width: 128, height: 160 });
  expect(r.overlay).toMatchObject({ width: 128, height: 160 });
  const overlay = await fetchRaw(r.overlay.url);
  expect([overlay.width, overlay.height]).toEqual([128, 160]);
});

test('a tampered or foreign picture URL is refused, and the mask URL does not open the heat map', async () => {
  const r = (await detect(gw.url, await png(textureRgb(911, [defectFor(1)])))).body.data.detectAnomalies;
  const full = await pictures(await png(textureRgb(911, [defectFor(1)])));
  const tampered = new URL(full.heatMap.url);
  tampered.searchParams.set('exp', String(Number(tampered.searchParams.get('exp')) + 60));
  expect((await fetch(tampered)).status).toBe(403);
  const mask = new URL(r.anomalyMask.url);
  const swapped = new URL(full.heatMap.url);
  swapped.search = mask.search;
  expect((await fetch(swapped)).status).toBe(403);
});
