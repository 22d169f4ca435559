import type { FileUpload } from 'graphql-upload-minimal';
import { AppError } from '../../errors';
import { imageLimits } from '../../config';
import { checkImage, readImageStream, type ImageInput, type ReceiveRate } from '../../detection/image-input';
import type { GraphQLContext } from '../context';

/** Turns one Upload argument into a checked image: bounded read, sha256, format and size checks. */
export async function readUpload(upload: Promise<FileUpload> | FileUpload, ctx: GraphQLContext): Promise<ImageInput> {
  let file: FileUpload;
  try {
    file = await upload;
  } catch (err) {
    throw new AppError('BAD_USER_INPUT', `The upload could not be read: ${(err as Error).message}`);
  }
  if (!file || typeof file.createReadStream !== 'function') throw new AppError('BAD_USER_INPUT', 'Expected a file upload (multipart request).');
  const config = ctx.services.config;
  // Images are read in full (to hash and check them), so reads are gated: a burst of large
  // uploads waits in the sockets (busboy applies backpressure) instead of filling the heap.
  const { bytes, sha256 } = await ctx.services.uploadGate.run(() => readImageStream(file.createReadStream(), config.MAX_UPLOAD_BYTES, uploadRate(ctx)), ctx.signal);
  return checkImage(bytes, sha256, file.mimetype, imageLimits(config));
}

/**
 * The rate an upload must keep once its read starts. The grace covers a connection's slow start
 * and a client's first round trips; after it, UPLOAD_MIN_BYTES_PER_SECOND.
 */
export function uploadRate(ctx: GraphQLContext): ReceiveRate {
  return { minBytesPerSecond: ctx.services.config.UPLOAD_MIN_BYTES_PER_SECOND, graceMs: UPLOAD_GRACE_MS, received: ctx.bytesReceived };
}

const UPLOAD_GRACE_MS = 3000;
