import sharp from 'sharp';
import { AppError, isAppError } from '../../errors';
import { DEFAULT_IMAGE_LIMITS, orientedSize, readImageHeader, type ImageHeader, type ImageLimits } from './image-header';

/** A rectangle: in pixels, or (as stored in models) in fractions of the image's width and height. */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved RGB, 3 bytes per pixel. */
  data: Buffer;
}

// libvips caches decoded images for reuse; a server sees each upload once, so the cache only
// holds memory. Concurrency stays at libvips' default (cores).
sharp.cache(false);

/**
 * Options every untrusted decode uses: the pixel cap repeats the header check inside libvips
 * (defence in depth against a header that lies), `failOn: 'warning'` turns a truncated or damaged
 * file into an error instead of a half-grey image, and only the first page is read.
 */
function open(bytes: Uint8Array, limits: ImageLimits, autoOrient = false) {
  return sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'warning', pages: 1, autoOrient });
}

/** Runs a libvips call, turning its errors into INVALID_IMAGE with the first line of its reason. */
export async function decoding<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isAppError(err)) throw err;
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new AppError('INVALID_IMAGE', `The image could not be decoded: ${reason}`, {}, { cause: err });
  }
}

/** Checks the header, then decodes the whole image, so a damaged file fails here. */
export async function decodeRgb(bytes: Uint8Array, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<RgbImage & { header: ImageHeader }> {
  const header = readImageHeader(bytes, limits);
  return decoding(async () => {
    const { data, info } = await open(bytes, limits).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.width !== header.width || info.height !== header.height) {
      throw new AppError('INVALID_IMAGE', 'The image header and its pixel data disagree about its size.');
    }
    return { width: info.width, height: info.height, data, header };
  });
}

/**
 * Decodes, crops to `roi` (when given) and resizes to exactly `width` x `height`, the model's
 * input size. Aspect ratio is not kept: training and serving squash the same way, which is what
 * matters for patch statistics.
 */
export async function decodeForModel(
  bytes: Uint8Array,
  size: { width: number; height: number },
  /** Fractions of the image, so one region fits every input size. */
  roi: Box | null,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
  /** Turn the image as its EXIF orientation says (as a browser shows it); the header then has the turned size. */
  autoOrient = false,
): Promise<RgbImage & { header: ImageHeader; roi: Box }> {
  const stored = readImageHeader(bytes, limits);
  const turn = autoOrient && (stored.orientation ?? 1) > 1;
  const header = turn ? { ...stored, ...orientedSize(stored) } : stored;
  const box = roiToPixels(roi, header);
  return decoding(async () => {
    let pipeline = open(bytes, limits, turn);
    // Cropping only when there is a region keeps libvips' shrink-on-load for JPEGs, which
    // decodes at 1/2, 1/4 or 1/8 scale directly and is several times faster than a full decode.
    if (box.width !== header.width || box.height !== header.height) pipeline = pipeline.extract(box);
    const { data, info } = await pipeline
      .resize(size.width, size.height, { fit: 'fill', kernel: 'cubic' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data, header, roi: box };
  });
}

/** Maps a fractional region to whole pixels inside the image; no region means the whole image. */
export function roiToPixels(roi: Box | null, image: { width: number; height: number }): Box {
  if (!roi) return { left: 0, top: 0, width: image.width, height: image.height };
  const left = Math.max(0, Math.min(image.width - 1, Math.round(roi.left * image.width)));
  const top = Math.max(0, Math.min(image.height - 1, Math.round(roi.top * image.height)));
  const width = Math.max(1, Math.min(image.width - left, Math.round(roi.width * image.width)));
  const height = Math.max(1, Math.min(image.height - top, Math.round(roi.height * image.height)));
  return { left, top, width, height };
}
