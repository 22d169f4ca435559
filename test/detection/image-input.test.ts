import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { readImageHeader } from '../../src/engine/image/image-header';
import { ReceivedBytes, checkImage, readImageStream } from '../../src/detection/image-input';
import { png, textureRgb } from '../helpers/images';

const LIMITS = { minSide: 64, maxSide: 4096, maxPixels: 4096 * 4096 };

/** Cuts `bytes` where the network might: the first chunk ends at `first`, the rest in 1000-byte pieces. */
function chunks(bytes: Buffer, first: number): Buffer[] {
  const out = [bytes.subarray(0, first)];
  for (let at = first; at < bytes.length; at += 1000) out.push(bytes.subarray(at, at + 1000));
  return out;
}

const exifJpeg = () =>
  sharp({ create: { width: 200, height: 120, channels: 3, background: '#345678' } })
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();

describe('an upload read in chunks', () => {
  test('gives the same header, bytes and sha256 as the file read whole, wherever the chunks break', async () => {
    for (const file of [await exifJpeg(), await png(textureRgb(2))]) {
      // 10 bytes: no header fits, so it is read from the joined bytes; 4000: it fits in the first.
      for (const first of [10, 4000]) {
        const { received, sha256 } = await readImageStream(Readable.from(chunks(file, first)), 1 << 20);
        expect(sha256).toBe(createHash('sha256').update(file).digest('hex'));
        const image = checkImage(received, sha256, undefined, LIMITS, 'exif');
        expect(image.header).toEqual(readImageHeader(file));
        expect(image.bytes.equals(file)).toBe(true);
      }
    }
  });

  test('a refusal names the same reason whether the header was in the first chunk or not', async () => {
    const tall = await sharp({ create: { width: 70, height: 5000, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    for (const first of [10, 4000]) {
      const received = new ReceivedBytes(chunks(tall, first), tall.length);
      expect(() => checkImage(received, 'x', 'image/png', LIMITS, 'exif')).toThrow(expect.objectContaining({ code: 'IMAGE_DIMENSIONS_OUT_OF_RANGE' }));
    }
    const notImage = Buffer.from('GIF89a'.padEnd(5000, 'x'));
    expect(() => checkImage(new ReceivedBytes(chunks(notImage, 10), notImage.length), 'x', undefined, LIMITS, 'exif')).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_IMAGE_FORMAT' }),
    );
  });

  test('is joined once, on first use, and not at all when nothing needs the bytes', () => {
    const parts = [Buffer.from('ab'), Buffer.from('cd')];
    const received = new ReceivedBytes(parts, 4);
    expect(received.head).toBe(parts[0]);
    const whole = received.whole;
    expect(whole.toString()).toBe('abcd');
    expect(received.whole).toBe(whole);
    const single = Buffer.from('xyz');
    expect(ReceivedBytes.of(single).whole).toBe(single);
  });
});
