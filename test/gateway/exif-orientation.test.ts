import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DetectAnomaliesCommand } from '@aws-sdk/client-lookoutvision';
import sharp from 'sharp';
import { readImageHeader } from '../../src/engine/image/image-header';
import { client } from '../compat/helpers';
import { dataDirWithDemoModel, detect, startGateway, type Running } from './helpers';

/**
 * A phone photo stores its pixels sideways and an EXIF tag saying how to turn them. GraphQL
 * judges the image as a browser shows it (the mask overlays what the user sees); the Lookout for
 * Vision protocol judges the stored pixels, as before. The two never share a cache entry.
 */

let data: { path: string; cleanup: () => Promise<void> };
let gw: Running;
let sideways: Buffer;
let upright: { width: number; height: number };

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  gw = await startGateway(data.path);
  const png = await readFile(join(data.path, 'demo-dataset', 'images', 'anomaly-0.png'));
  upright = readImageHeader(png);
  // Stored turned a quarter anticlockwise, tagged 6 ("rotate 90 clockwise to view").
  sideways = await sharp(png).rotate(-90).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
});

afterAll(async () => {
  await gw?.stop();
  await data?.cleanup();
});

test('the header reader finds the EXIF orientation', () => {
  const h = readImageHeader(sideways);
  expect(h.orientation).toBe(6);
  expect({ width: h.height, height: h.width }).toEqual({ width: upright.width, height: upright.height });
});

test('GraphQL scores the turned image and draws its mask upright; the protocol keeps the stored pixels', async () => {
  const stored = readImageHeader(sideways);
  const viaGraphQL = await detect(gw.url, sideways, { type: 'image/jpeg' });
  const result = viaGraphQL.body.data.detectAnomalies;
  expect(result.isAnomalous).toBe(true);
  // Upright: the stored height is the shown width.
  expect(result.anomalyMask).toMatchObject({ width: stored.height, height: stored.width });

  const lfv = client(gw.url);
  try {
    const r = await lfv.send(new DetectAnomaliesCommand({ ProjectName: 'demo', ModelVersion: '1', Body: sideways, ContentType: 'image/jpeg' }));
    const mask = r.DetectAnomalyResult!.AnomalyMask;
    expect(mask).toBeDefined();
    const meta = await sharp(Buffer.from(mask!)).metadata();
    expect({ width: meta.width, height: meta.height }).toEqual({ width: stored.width, height: stored.height });
  } finally {
    lfv.destroy();
  }
  // And a second GraphQL call is a cache hit of its own kind.
  const again = await detect(gw.url, sideways, { type: 'image/jpeg' });
  expect(again.body.data.detectAnomalies).toMatchObject({ id: result.id, cached: true });
});

test('a damaged EXIF block is ignored, never a crash', async () => {
  // An APP1 Exif segment whose IFD offset points past its end.
  const bad = Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0x00, 0x12, 0x45, 0x78, 0x69, 0x66, 0, 0, 0x49, 0x49, 0x2a, 0, 0xff, 0xff, 0, 0, 0, 0]);
  const jpeg = Buffer.concat([bad, sideways.subarray(2)]);
  expect(readImageHeader(jpeg).orientation).toBe(6);
  expect(
    readImageHeader(
      Buffer.concat([
        bad,
        (
          await sharp({ create: { width: 80, height: 64, channels: 3, background: '#888' } })
            .jpeg()
            .toBuffer()
        ).subarray(2),
      ]),
    ).orientation,
  ).toBeUndefined();
});
