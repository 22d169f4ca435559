import { AppError } from '../../errors';

/**
 * Reads the format and size of an image from its first bytes, before anything is decoded, so
 * that a decompression bomb (a small file that claims a huge canvas) is refused for the cost of
 * reading a header. Only PNG and JPEG are accepted, as in Lookout for Vision.
 */

export type ImageFormat = 'png' | 'jpeg';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

export interface ImageLimits {
  minSide: number;
  maxSide: number;
  maxPixels: number;
}

export const DEFAULT_IMAGE_LIMITS: Readonly<ImageLimits> = Object.freeze({ minSide: 64, maxSide: 4096, maxPixels: 4096 * 4096 });

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Formats we can name when refusing them; anything else is "not an image". */
const OTHER_FORMATS: [string, number[]][] = [
  ['GIF', [0x47, 0x49, 0x46, 0x38]],
  ['WebP', [0x52, 0x49, 0x46, 0x46]],
  ['BMP', [0x42, 0x4d]],
  ['TIFF', [0x49, 0x49, 0x2a, 0x00]],
  ['TIFF', [0x4d, 0x4d, 0x00, 0x2a]],
];

const startsWith = (b: Uint8Array, magic: number[]): boolean => b.length >= magic.length && magic.every((m, i) => b[i] === m);

export function sniffFormat(bytes: Uint8Array): ImageFormat {
  if (startsWith(bytes, PNG_MAGIC)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  const other = OTHER_FORMATS.find(([, magic]) => startsWith(bytes, magic));
  if (other) throw new AppError('UNSUPPORTED_IMAGE_FORMAT', `${other[0]} images are not accepted; send PNG or JPEG.`);
  throw new AppError('INVALID_IMAGE', 'The file is not a PNG or JPEG image.');
}

export function readImageHeader(bytes: Uint8Array, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): ImageHeader {
  const format = sniffFormat(bytes);
  const size = format === 'png' ? pngSize(bytes) : jpegSize(bytes);
  const header = { format, ...size };
  checkLimits(header, limits);
  return header;
}

export function checkLimits({ width, height }: { width: number; height: number }, limits: ImageLimits): void {
  if (width * height > limits.maxPixels) {
    throw new AppError('IMAGE_TOO_MANY_PIXELS', `The image is ${width} x ${height} (${width * height} pixels); the maximum is ${limits.maxPixels} pixels.`, { width, height, maxPixels: limits.maxPixels });
  }
  if (Math.min(width, height) < limits.minSide || Math.max(width, height) > limits.maxSide) {
    throw new AppError('IMAGE_DIMENSIONS_OUT_OF_RANGE', `The image is ${width} x ${height}; each side must be between ${limits.minSide} and ${limits.maxSide} pixels.`, { width, height, minSide: limits.minSide, maxSide: limits.maxSide });
  }
}

function pngSize(b: Uint8Array): { width: number; height: number } {
  // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4).
  if (b.length < 33 || String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR') {
    throw new AppError('INVALID_IMAGE', 'The PNG file is truncated or has no IHDR header.');
  }
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Walks JPEG segments up to the first start-of-frame marker, which carries the size. */
function jpegSize(b: Uint8Array): { width: number; height: number } {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw new AppError('INVALID_IMAGE', 'The JPEG file is corrupt (bad segment marker).');
    const marker = b[i + 1];
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2; // markers without a length
      continue;
    }
    const length = (b[i + 2] << 8) | b[i + 3];
    const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isStartOfFrame) {
      if (i + 9 > b.length) break;
      return { height: (b[i + 5] << 8) | b[i + 6], width: (b[i + 7] << 8) | b[i + 8] };
    }
    if (marker === 0xda || marker === 0xd9) break; // scan data or end before any frame header
    i += 2 + length;
  }
  throw new AppError('INVALID_IMAGE', 'The JPEG file is truncated or has no frame header.');
}
