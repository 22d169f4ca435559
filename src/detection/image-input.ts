import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AppError } from '../errors';
import { readImageHeader, type ImageHeader, type ImageLimits } from '../engine/image/image-header';

/**
 * An uploaded image, read once: the bytes (bounded), their sha256 computed while streaming, and
 * the header facts (format, size) checked before anything is decoded.
 */
export interface ImageInput {
  /** Joined from the upload's chunks on first use; a cache hit never needs them. */
  readonly bytes: Buffer;
  sha256: string;
  header: ImageHeader;
  /**
   * 'exif': judged as a browser shows it (EXIF orientation applied; GraphQL). 'stored': judged as
   * its pixels are stored (the Lookout for Vision protocol, unchanged for existing clients).
   */
  orientation: OrientationMode;
}

export type OrientationMode = 'exif' | 'stored';

/** Whether this image is judged differently from its stored pixels: only then does the mode change its result. */
export function turnsImage(image: Pick<ImageInput, 'header' | 'orientation'>): boolean {
  return image.orientation === 'exif' && (image.header.orientation ?? 1) > 1;
}

const MIME: Record<ImageHeader['format'], string> = { png: 'image/png', jpeg: 'image/jpeg' };

/** Declared types that say nothing about the content; anything else must match the bytes. */
const NEUTRAL_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

export function mimeOf(format: ImageHeader['format']): string {
  return MIME[format];
}

/**
 * An upload's bytes as they arrived, joined into one buffer only when something needs them
 * whole (a detection that misses the cache, a dataset write). On a cache hit the join was a copy
 * of every upload for nothing: the largest avoidable allocation of the cached path, and with
 * 4 MiB uploads it doubled each one's memory while it was read.
 */
export class ReceivedBytes {
  private joined: Buffer | null;

  constructor(
    private chunks: readonly Buffer[],
    readonly size: number,
  ) {
    this.joined = chunks.length === 1 ? chunks[0] : chunks.length === 0 ? Buffer.alloc(0) : null;
  }

  static of(bytes: Buffer): ReceivedBytes {
    return new ReceivedBytes([bytes], bytes.length);
  }

  /** The first chunk: in practice it holds the image header. */
  get head(): Buffer {
    return this.joined ?? this.chunks[0];
  }

  get whole(): Buffer {
    if (!this.joined) {
      this.joined = Buffer.concat(this.chunks, this.size);
      this.chunks = [];
    }
    return this.joined;
  }
}

/** How fast an upload must keep arriving once it has had `graceMs` to start. */
export interface ReceiveRate {
  minBytesPerSecond: number;
  graceMs: number;
  /**
   * Bytes the request's connection has delivered so far (its socket's `bytesRead`). Measured on
   * the connection rather than on this file, so a second file of one request, waiting while the
   * first streams in, is not taken for a slow one. Without it, the file's own bytes count.
   */
  received?: () => number;
}

/**
 * Reads a stream to its end with a byte cap. graphql-upload-minimal does not fail an oversize
 * file: busboy just ends the stream early and sets `truncated`, so an unchecked resolver would
 * hash and score the first 8 MiB of a larger file and answer 200. Both signs are checked here.
 *
 * With a receive rate, the request must deliver `minBytesPerSecond` for every second past the
 * grace while it is being read: 16 clients trickling a byte a second once held every upload slot
 * as long as they liked, and a normal detection waited 37 s behind them.
 */
export async function readImageStream(
  stream: Readable & { truncated?: boolean },
  maxBytes: number,
  rate?: ReceiveRate,
): Promise<{ received: ReceivedBytes; sha256: string }> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  const stop = rate
    ? watchRate(
        rate,
        () => size,
        () => stream.destroy(tooSlow(rate)),
      )
    : () => {};
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > maxBytes) {
        stream.destroy();
        throw tooLarge(maxBytes);
      }
      hash.update(buf);
      chunks.push(buf);
    }
  } finally {
    stop();
  }
  if (stream.truncated) throw tooLarge(maxBytes);
  return { received: new ReceivedBytes(chunks, size), sha256: hash.digest('hex') };
}

/** Calls `fail` once the bytes received fall behind the rate; returns the function that stops watching. */
function watchRate(rate: ReceiveRate, ownBytes: () => number, fail: () => void): () => void {
  const received = rate.received ?? ownBytes;
  const base = received();
  const started = Date.now();
  const timer = setInterval(
    () => {
      const owed = ((Date.now() - started - rate.graceMs) / 1000) * rate.minBytesPerSecond;
      if (received() - base < owed) {
        clearInterval(timer);
        fail();
      }
    },
    Math.min(500, rate.graceMs),
  );
  timer.unref();
  return () => clearInterval(timer);
}

function tooSlow(rate: ReceiveRate): AppError {
  return new AppError('REQUEST_TOO_SLOW', `The upload arrived slower than ${rate.minBytesPerSecond} bytes per second; it was dropped to free its slot.`, {
    minBytesPerSecond: rate.minBytesPerSecond,
  });
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `The image is larger than ${maxBytes} bytes.`, { maxBytes });
}

export function checkImage(
  bytes: Buffer | ReceivedBytes,
  sha256: string,
  declaredType: string | undefined,
  limits: ImageLimits,
  orientation: OrientationMode,
): ImageInput {
  const received = bytes instanceof ReceivedBytes ? bytes : ReceivedBytes.of(bytes);
  const header = headerOf(received, limits);
  const declared = (declaredType ?? '').split(';')[0].trim().toLowerCase();
  if (!NEUTRAL_TYPES.has(declared) && declared !== MIME[header.format]) {
    throw new AppError('INVALID_IMAGE', `The file was sent as ${declared} but is a ${header.format.toUpperCase()} image.`, { declaredType: declared });
  }
  return {
    get bytes() {
      return received.whole;
    },
    sha256,
    header,
    orientation,
  };
}

/** From the first chunk when it holds the header; a JPEG whose markers run past it is read whole. */
function headerOf(received: ReceivedBytes, limits: ImageLimits): ImageHeader {
  if (received.head.length < received.size) {
    try {
      return readImageHeader(received.head, limits);
    } catch {
      // Read again from all the bytes below, which also gives the refusal its true reason.
    }
  }
  return readImageHeader(received.whole, limits);
}
