import { AppError } from '../../errors';

/**
 * Reads the format and size of an image from its first bytes, before anything is decoded, so
 * that a decompression bomb (a small file that claims a huge canvas) is refused for the cost of
 * reading a header. Only PNG and JPEG are accepted, as in Lookout for Vision.
 */

export type ImageFormat = 'png' | 'jpeg';

export interface ImageHeader {
  format: ImageFormat;
  /** The stored pixel grid's size (before any EXIF orientation). */
  width: number;
  height: number;
  /** EXIF orientation, 1-8 (1: as stored); JPEGs only, 1 when absent. */
  orientation?: number;
}

/** The size a browser shows: EXIF orientations 5-8 turn the image a quarter. */
export function orientedSize(h: ImageHeader): { width: number; height: number } {
  return (h.orientation ?? 1) >= 5 ? { width: h.height, height: h.width } : { width: h.width, height: h.height };
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
    throw new AppError('IMAGE_TOO_MANY_PIXELS', `The image is ${width} x ${height} (${width * height} pixels); the maximum is ${limits.maxPixels} pixels.`, {
      width,
      height,
      maxPixels: limits.maxPixels,
    });
  }
  if (Math.min(width, height) < limits.minSide || Math.max(width, height) > limits.maxSide) {
    throw new AppError(
      'IMAGE_DIMENSIONS_OUT_OF_RANGE',
      `The image is ${width} x ${height}; each side must be between ${limits.minSide} and ${limits.maxSide} pixels.`,
      { width, height, minSide: limits.minSide, maxSide: limits.maxSide },
    );
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

/** Walks JPEG segments up to the first start-of-frame marker, which carries the size; notes the EXIF orientation on the way. */
function jpegSize(b: Uint8Array): { width: number; height: number; orientation?: number } {
  let i = 2;
  let orientation = 1;
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
      const size = { height: (b[i + 5] << 8) | b[i + 6], width: (b[i + 7] << 8) | b[i + 8] };
      return orientation > 1 ? { ...size, orientation } : size;
    }
    if (marker === 0xe1) orientation = exifOrientation(b, i + 4, Math.min(b.length, i + 2 + length)) ?? orientation;
    if (marker === 0xda || marker === 0xd9) break; // scan data or end before any frame header
    i += 2 + length;
  }
  throw new AppError('INVALID_IMAGE', 'The JPEG file is truncated or has no frame header.');
}

/**
 * The Orientation tag (0x0112) of IFD0 in an APP1 Exif segment spanning [start, end), or null.
 * Every offset is checked against the segment: the bytes are untrusted.
 */
function exifOrientation(b: Uint8Array, start: number, end: number): number | null {
  if (end - start < 14 || String.fromCharCode(b[start], b[start + 1], b[start + 2], b[start + 3]) !== 'Exif' || b[start + 4] !== 0 || b[start + 5] !== 0)
    return null;
  const tiff = start + 6;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const little = b[tiff] === 0x49 && b[tiff + 1] === 0x49;
  if (!little && !(b[tiff] === 0x4d && b[tiff + 1] === 0x4d)) return null;
  const ifd = tiff + view.getUint32(tiff + 4, little);
  if (ifd + 2 > end) return null;
  const count = view.getUint16(ifd, little);
  for (let k = 0; k < count; k++) {
    const entry = ifd + 2 + k * 12;
    if (entry + 12 > end) return null;
    if (view.getUint16(entry, little) !== 0x0112) continue;
    const value = view.getUint16(entry + 8, little);
    return value >= 1 && value <= 8 ? value : null;
  }
  return null;
}
