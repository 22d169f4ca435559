import type { FileUpload } from 'graphql-upload-minimal';
import { AppError, isAppError } from '../../errors';
import { imageLimits } from '../../config';
import { checkImage, readImageStream, type ImageInput, type ReceiveRate, type ReceivedBytes } from '../../detection/image-input';
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
  const { received, sha256 } = await readUploadChunks(file, ctx);
  return checkImage(received, sha256, file.mimetype, imageLimits(ctx.services.config), 'exif');
}

/** An uploaded file read whole (a manifest, a text file), with its sha256. */
export async function readUploadBytes(file: FileUpload, ctx: GraphQLContext): Promise<{ bytes: Buffer; sha256: string }> {
  const { received, sha256 } = await readUploadChunks(file, ctx);
  return { bytes: received.whole, sha256 };
}

/**
 * An uploaded file's bytes (and sha256), read whole under the upload gate: a burst of large
 * uploads waits in the sockets (busboy applies backpressure) instead of filling the heap. The
 * read is capped in size and must keep a minimum rate; failures leave as registry codes.
 */
async function readUploadChunks(file: FileUpload, ctx: GraphQLContext): Promise<{ received: ReceivedBytes; sha256: string }> {
  try {
    const read = await ctx.services.uploadGate.run(() => readImageStream(openUpload(file), ctx.services.config.MAX_UPLOAD_BYTES, uploadRate(ctx)), ctx.signal);
    ctx.services.metrics.uploadBytes.inc({ route: 'multipart' }, read.received.size);
    return read;
  } catch (err) {
    throw uploadFailure(err, ctx);
  }
}

/** busboy reports a malformed or truncated form with plain Errors (no status) and these words. */
const BROKEN_FORM = /^(Unexpected end of (form|file)|Malformed part header|Multipart: Boundary not found)/;

/**
 * What a failed read means for the client. busboy's stream fails with plain http-errors (a client
 * that disconnects mid-file, a malformed part); left as they are they became masked 500s logged
 * as errors. A client that left is ABORTED (logged at info by the request log); a 4xx is theirs.
 */
function uploadFailure(err: unknown, ctx: GraphQLContext): unknown {
  if (isAppError(err)) return err;
  const message = (err as Error | null)?.message ?? '';
  if (ctx.signal?.aborted || /disconnected|aborted/i.test(message)) return new AppError('ABORTED', 'The client went away during the upload.');
  const status = (err as { status?: number } | null)?.status;
  if ((status && status >= 400 && status < 500) || BROKEN_FORM.test(message)) return new AppError('BAD_USER_INPUT', `The upload could not be read: ${message}`);
  return err;
}

/**
 * The upload's stream. graphql-upload-minimal refuses a second stream of one file (a request
 * mapping one file to two variables) with a plain Error, which reached the client as a masked
 * 500 and lost the whole response; it is the client's mistake, with a reason.
 */
function openUpload(file: FileUpload): ReturnType<FileUpload['createReadStream']> {
  try {
    return file.createReadStream();
  } catch (err) {
    if (!/multiple times/.test((err as Error).message)) throw err;
    throw new AppError('BAD_USER_INPUT', `The upload "${file.filename}" is used in two places of the request; send it once per variable.`);
  }
}

/**
 * The rate an upload must keep once its read starts. The grace covers a connection's slow start
 * and a client's first round trips; after it, UPLOAD_MIN_BYTES_PER_SECOND.
 */
function uploadRate(ctx: GraphQLContext): ReceiveRate {
  return { minBytesPerSecond: ctx.services.config.UPLOAD_MIN_BYTES_PER_SECOND, graceMs: UPLOAD_GRACE_MS, received: ctx.bytesReceived };
}

const UPLOAD_GRACE_MS = 3000;
