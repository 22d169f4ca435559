import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseManifest } from '../../src/engine/dataset/manifest';
import { readMaskLabels } from '../../src/engine/dataset/masks';
import { readMask } from '../../src/engine/dataset/read-entry';
import { splitDataset } from '../../src/engine/dataset/split';
import sharp from 'sharp';
import { readFile, writeFile } from 'node:fs/promises';
import { tempDir } from '../helpers/images';

const line = (o: Record<string, unknown>) => JSON.stringify(o);
const seg = (ref: string, map: Record<string, { 'class-name': string; 'hex-color': string }>) => ({
  'anomaly-mask-ref': ref,
  'anomaly-mask-ref-metadata': { 'internal-color-map': map, type: 'groundtruth/semantic-segmentation' },
});

describe('Lookout for Vision manifests', () => {
  test('reads labels from metadata under any key, masks, classes and reference forms', () => {
    const text = [
      line({ 'source-ref': 'a/n1.jpg', 'my-label': 0, 'my-label-metadata': { 'class-name': 'normal' } }),
      line({
        'source-ref': 's3://line-bucket/imgs/a1.jpg',
        'x-label-metadata': { 'class-name': 'anomaly' },
        ...seg('s3://line-bucket/masks/a1.png', {
          '0': { 'class-name': 'BACKGROUND', 'hex-color': '#ffffff' },
          '1': { 'class-name': 'scratch', 'hex-color': '#2ca02c' },
        }),
      }),
      '',
      line({ 'source-ref': pathToFileURL('/data/n2.png').href, 'anomaly-label': 0 }),
      line({ 'source-ref': '/abs/u.jpg', 'lbl-metadata': { 'class-name': 'other' } }),
    ].join('\n');
    const ds = parseManifest(text, '/base', { buckets: { 'line-bucket': '/mnt/bucket' } });
    expect(ds.entries).toEqual([
      { image: '/base/a/n1.jpg', ref: 'a/n1.jpg', label: 'normal' },
      {
        image: '/mnt/bucket/imgs/a1.jpg',
        ref: 's3://line-bucket/imgs/a1.jpg',
        label: 'anomaly',
        mask: '/mnt/bucket/masks/a1.png',
        maskRef: 's3://line-bucket/masks/a1.png',
        maskClasses: [{ name: 'scratch', color: '#2CA02C' }],
      },
      { image: '/data/n2.png', ref: 'file:///data/n2.png', label: 'normal' },
    ]);
    expect(ds.classes).toEqual([{ name: 'scratch', color: '#2CA02C' }]);
    expect(ds.unlabelled).toBe(1);
  });

  test.each([
    ['not JSON', '{"source-ref": ', /line 1 is not valid JSON/],
    ['no source-ref', line({ 'anomaly-label': 1 }), /no source-ref/],
    ['unmapped bucket', line({ 'source-ref': 's3://nowhere/x.jpg', 'anomaly-label': 0 }), /not mapped/],
    ['unknown scheme', line({ 'source-ref': 'https://example.com/x.jpg', 'anomaly-label': 0 }), /not supported/],
    ['a file URL with a host', line({ 'source-ref': 'file://server/x.jpg', 'anomaly-label': 0 }), /not a valid file URL/],
    [
      'bad colour',
      line({ 'source-ref': 'x.jpg', 'l-metadata': { 'class-name': 'anomaly' }, ...seg('m.png', { '0': { 'class-name': 'dent', 'hex-color': 'red' } }) }),
      /hex-color/,
    ],
  ])('refuses a manifest with %s (DATASET_INVALID)', (_name, text, message) => {
    expect(() => parseManifest(text, '/base')).toThrow(expect.objectContaining({ code: 'DATASET_INVALID', message: expect.stringMatching(message) }));
  });

  test('refuses one anomaly type with two colours', () => {
    const text = [
      line({ 'source-ref': 'a.jpg', 'l-metadata': { 'class-name': 'anomaly' }, ...seg('a.png', { '0': { 'class-name': 'dent', 'hex-color': '#111111' } }) }),
      line({ 'source-ref': 'b.jpg', 'l-metadata': { 'class-name': 'anomaly' }, ...seg('b.png', { '0': { 'class-name': 'dent', 'hex-color': '#222222' } }) }),
    ].join('\n');
    expect(() => parseManifest(text, '/base')).toThrow(/dent/);
  });

  test('the automatic split is stratified, seeded and keeps small classes in training', () => {
    const entries = [
      ...Array.from({ length: 20 }, (_, i) => ({ image: `n${i}`, label: 'normal' as const })),
      ...Array.from({ length: 10 }, (_, i) => ({ image: `a${i}`, label: 'anomaly' as const })),
    ];
    const a = splitDataset(entries, 0.2, 7);
    expect(a.test.filter((e) => e.label === 'normal')).toHaveLength(4);
    expect(a.test.filter((e) => e.label === 'anomaly')).toHaveLength(2);
    expect(new Set([...a.train, ...a.test].map((e) => e.image)).size).toBe(30);
    expect(splitDataset(entries, 0.2, 7)).toEqual(a);
    expect(splitDataset(entries, 0.2, 8).test).not.toEqual(a.test);
    expect(splitDataset(entries.slice(0, 4), 0.2, 7).test).toHaveLength(0);
  });
});

describe('masks', () => {
  const classes = [
    { name: 'cracked', color: '#23A436' },
    { name: 'dent', color: '#FF0000' },
  ];
  const full = { left: 0, top: 0, width: 8, height: 8 };

  async function maskFile(dir: string, name: string, pixels: (x: number, y: number) => number[], channels: 3 | 4, palette = false): Promise<string> {
    const buf = Buffer.alloc(8 * 8 * channels);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) buf.set(pixels(x, y), (y * 8 + x) * channels);
    const path = join(dir, name);
    await writeFile(
      path,
      await sharp(buf, { raw: { width: 8, height: 8, channels } })
        .png({ palette })
        .toBuffer(),
    );
    return path;
  }

  test('palette, RGB with white or black background, and RGBA with soft alpha', async () => {
    const tmp = await tempDir();
    try {
      const left = (x: number) => x < 4;
      const rgbBlack = await maskFile(tmp.path, 'black.png', (x) => (left(x) ? [0x23, 0xa4, 0x36] : [0, 0, 0]), 3);
      const rgbWhite = await maskFile(tmp.path, 'white.png', (x) => (left(x) ? [0xff, 0, 0] : [255, 255, 255]), 3);
      const pal = await maskFile(tmp.path, 'pal.png', (x) => (left(x) ? [0x23, 0xa4, 0x36] : [0, 0, 0]), 3, true);
      // RGBA: class colour everywhere, but only the left half is opaque; a soft edge column at x=4.
      const rgba = await maskFile(tmp.path, 'rgba.png', (x) => [0x23, 0xa4, 0x36, left(x) ? 255 : x === 4 ? 90 : 0], 4);
      const expected = (k: number) => Array.from({ length: 64 }, (_, i) => (i % 8 < 4 ? k : 0));
      expect([...(await readMaskLabels(await readFile(rgbBlack), 'rgbBlack', classes, { width: 8, height: 8 }, full, { width: 8, height: 8 }))]).toEqual(
        expected(1),
      );
      expect([...(await readMaskLabels(await readFile(rgbWhite), 'rgbWhite', classes, { width: 8, height: 8 }, full, { width: 8, height: 8 }))]).toEqual(
        expected(2),
      );
      expect([...(await readMaskLabels(await readFile(pal), 'pal', classes, { width: 8, height: 8 }, full, { width: 8, height: 8 }))]).toEqual(expected(1));
      expect([...(await readMaskLabels(await readFile(rgba), 'rgba', classes, { width: 8, height: 8 }, full, { width: 8, height: 8 }))]).toEqual(expected(1));
    } finally {
      await tmp.cleanup();
    }
  });

  test('a missing or non-PNG mask is MASK_INVALID', async () => {
    const tmp = await tempDir();
    try {
      const jpg = join(tmp.path, 'm.jpg');
      await writeFile(
        jpg,
        await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
          .jpeg()
          .toBuffer(),
      );
      await expect(readMask({ image: jpg, label: 'anomaly', mask: join(tmp.path, 'none.png'), maskRef: 'none.png' })).rejects.toMatchObject({
        code: 'MASK_INVALID',
      });
      await expect(readMaskLabels(await readFile(jpg), 'jpg', classes, { width: 8, height: 8 }, full, { width: 8, height: 8 })).rejects.toMatchObject({
        code: 'MASK_INVALID',
      });
    } finally {
      await tmp.cleanup();
    }
  });
});
