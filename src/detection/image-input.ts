import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AppError } from '../errors';
import { readImageHeader, type ImageHeader, type ImageLimits } from '../engine/image/image-header';

/**
 * An uploaded image, read once: the bytes (bounded), their sha256 computed while streaming, and
 * the header facts (format, size) checked before anything is decoded.
 */
export interface ImageInput {
  bytes: Buffer;
  sha256: string;
  header: ImageHeader;
}

const MIME: Record<ImageHeader['format'], string> = { png: 'image/png', jpeg: 'image/jpeg' };

/** Declared types that say nothing about the content; anything else must match the bytes. */
const NEUTRAL_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

export function mimeOf(format: ImageHeader['format']): string {
  return MIME[format];
}

/**
 * Reads a stream to its end with a byte cap. graphql-upload-minimal does not fail an oversize
 * file: busboy just ends the stream early and sets `truncated`, so an unchecked resolver would
 * hash and score the first 8 MiB of a larger file and answer 200. Both signs are checked here.
 */
export async function readImageStream(stream: Readable & { truncated?: boolean }, maxBytes: number): Promise<{ bytes: Buffer; sha256: string }> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
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
  if (stream.truncated) throw tooLarge(maxBytes);
  return { bytes: Buffer.concat(chunks, size), sha256: hash.digest('hex') };
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `The image is larger than ${maxBytes} bytes.`, { maxBytes });
}

export function checkImage(bytes: Buffer, sha256: string, declaredType: string | undefined, limits: ImageLimits): ImageInput {
  const header = readImageHeader(bytes, limits);
  const declared = (declaredType ?? '').split(';')[0].trim().toLowerCase();
  if (!NEUTRAL_TYPES.has(declared) && declared !== MIME[header.format]) {
    throw new AppError('INVALID_IMAGE', `The file was sent as ${declared} but is a ${header.format.toUpperCase()} image.`, { declaredType: declared });
  }
  return { bytes, sha256, header };
}
