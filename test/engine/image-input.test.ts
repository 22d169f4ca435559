import sharp from 'sharp';
import { decodeForModel, decodeRgb } from '../../src/engine/image/decode';
import { readImageHeader, sniffFormat } from '../../src/engine/image/image-header';
import { jpeg, png, textureRgb } from '../helpers/images';

const codeOf = async (p: Promise<unknown> | (() => unknown)): Promise<string | undefined> => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

describe('image header', () => {
  test('reads format and size of PNG and JPEG without decoding', async () => {
    const rgb = textureRgb(1);
    expect(readImageHeader(await png(rgb))).toEqual({ format: 'png', width: 128, height: 128 });
    expect(readImageHeader(await jpeg(rgb))).toEqual({ format: 'jpeg', width: 128, height: 128 });
    const wide = await sharp({ create: { width: 300, height: 90, channels: 3, background: '#123456' } })
      .jpeg({ progressive: true })
      .toBuffer();
    expect(readImageHeader(wide)).toEqual({ format: 'jpeg', width: 300, height: 90 });
  });

  test('names formats it refuses and calls anything else not an image', async () => {
    const gif = await sharp({ create: { width: 80, height: 80, channels: 3, background: '#000' } })
      .gif()
      .toBuffer();
    const webp = await sharp({ create: { width: 80, height: 80, channels: 3, background: '#000' } })
      .webp()
      .toBuffer();
    expect(await codeOf(() => sniffFormat(gif))).toBe('UNSUPPORTED_IMAGE_FORMAT');
    expect(await codeOf(() => sniffFormat(webp))).toBe('UNSUPPORTED_IMAGE_FORMAT');
    expect(await codeOf(() => sniffFormat(Buffer.from('{"not":"an image"}')))).toBe('INVALID_IMAGE');
    expect(await codeOf(() => sniffFormat(Buffer.alloc(0)))).toBe('INVALID_IMAGE');
  });

  test('refuses sides under 64 or over 4096 px', async () => {
    const small = await sharp({ create: { width: 63, height: 200, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    const long = await sharp({ create: { width: 4097, height: 64, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    expect(await codeOf(() => readImageHeader(small))).toBe('IMAGE_DIMENSIONS_OUT_OF_RANGE');
    expect(await codeOf(() => readImageHeader(long))).toBe('IMAGE_DIMENSIONS_OUT_OF_RANGE');
  });

  test('refuses a decompression bomb from its header alone', async () => {
    // 15000 x 15000 of one colour: a small file that would decode to 675 MB.
    const bomb = await sharp({ create: { width: 15000, height: 15000, channels: 3, background: '#000' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(1_000_000);
    expect(await codeOf(() => readImageHeader(bomb))).toBe('IMAGE_TOO_MANY_PIXELS');
    expect(await codeOf(decodeRgb(bomb))).toBe('IMAGE_TOO_MANY_PIXELS');
  });

  test('a PNG whose header was altered to look small fails to decode, not to a huge canvas', async () => {
    const real = await sharp({ create: { width: 5000, height: 5000, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    const lying = Buffer.from(real);
    lying.writeUInt32BE(100, 16); // claim 100 x 100 in IHDR (the CRC no longer matches either)
    lying.writeUInt32BE(100, 20);
    expect(readImageHeader(lying)).toMatchObject({ width: 100, height: 100 });
    expect(await codeOf(decodeRgb(lying))).toBe('INVALID_IMAGE');
  });
});

describe('decoding', () => {
  test('truncated files fail with INVALID_IMAGE', async () => {
    const rgb = textureRgb(2);
    const p = await png(rgb);
    const j = await jpeg(rgb);
    expect(await codeOf(decodeRgb(p.subarray(0, 20)))).toBe('INVALID_IMAGE');
    expect(await codeOf(decodeRgb(p.subarray(0, Math.floor(p.length / 2))))).toBe('INVALID_IMAGE');
    expect(await codeOf(decodeRgb(j.subarray(0, Math.floor(j.length / 2))))).toBe('INVALID_IMAGE');
  });

  test('decodes to RGB at the model size, cropping to a fractional region first', async () => {
    // Left half red, right half blue; the region keeps only the right half.
    const img = await sharp({ create: { width: 200, height: 100, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } })
      .composite([{ input: { create: { width: 100, height: 100, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 1 } } }, left: 100, top: 0 }])
      .png()
      .toBuffer();
    const out = await decodeForModel(img, { width: 64, height: 64 }, { left: 0.5, top: 0, width: 0.5, height: 1 });
    expect(out.roi).toEqual({ left: 100, top: 0, width: 100, height: 100 });
    expect(out.data.length).toBe(64 * 64 * 3);
    expect([out.data[0], out.data[1], out.data[2]]).toEqual([0, 0, 255]);
  });
});
