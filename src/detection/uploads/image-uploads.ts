import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { AppError, isAppError, type ErrorCode } from '../../errors';
import type { ImageLimits } from '../../engine/image/image-header';
import { checkImage, readImageStream, type ImageInput, type ReceiveRate } from '../image-input';
import type { S3UploadBytes } from './s3-upload-bytes';
import { isUploadId, newUploadId, uploadNotFound, type PendingUpload, type PendingUploads } from './pending-uploads';

export interface ImageUploadsOptions {
  maxBytes: number;
  ttlSeconds: number;
  limits: ImageLimits;
}

const TYPES = new Set(['image/png', 'image/jpeg']);

/**
 * Errors after which the same upload may be tried again: the detector was busy or away, or the
 * caller left. Anything else (a bad image, an unknown model) would fail the same way twice.
 */
const RETRYABLE = new Set<ErrorCode>([
  'QUEUE_FULL',
  'THROTTLED',
  'UPSTREAM_ERROR',
  'ABORTED',
  'STATE_UNAVAILABLE',
  'ARTIFACTS_UNAVAILABLE',
  'MODEL_NOT_RUNNING',
]);

/**
 * The out-of-band upload flow's rules, the same as multipart's: one of the two image types, at
 * most MAX_UPLOAD_BYTES, the same header checks; then single use by the caller that asked.
 */
export class ImageUploads {
  private readonly sweeper: NodeJS.Timeout | null = null;

  constructor(
    readonly store: PendingUploads,
    private readonly options: ImageUploadsOptions,
    /** With models in S3: the bytes go there by presigned PUT instead of through the gateway. */
    private readonly s3: S3UploadBytes | null = null,
    log?: Logger,
  ) {
    if (s3) {
      // Unused uploads' objects outlive their records; every replica sweeps (deleting twice is harmless).
      const ttlMs = options.ttlSeconds * 1000;
      this.sweeper = setInterval(
        () => void s3.sweep(ttlMs + SWEEP_GRACE_MS).catch((err: unknown) => log?.warn({ err }, 'sweeping expired uploads from the model storage failed')),
        Math.min(ttlMs, 60_000),
      );
      this.sweeper.unref();
    }
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.s3?.close();
  }

  /** Records an upload and says where its bytes go: a presigned storage URL, or null for the gateway's own (the caller signs it). */
  async create(
    owner: string,
    request: { projectName: string; contentType: string; byteLength: number },
  ): Promise<{ upload: PendingUpload; presignedUrl: string | null }> {
    const contentType = request.contentType.split(';')[0].trim().toLowerCase();
    if (!TYPES.has(contentType))
      throw new AppError('UNSUPPORTED_IMAGE_FORMAT', `contentType must be image/png or image/jpeg, not ${contentType.slice(0, 100)}.`, {
        contentType: contentType.slice(0, 100),
      });
    const { maxBytes } = this.options;
    if (!Number.isInteger(request.byteLength) || request.byteLength < 1)
      throw new AppError('BAD_USER_INPUT', 'byteLength must be the exact size of the image in bytes (a positive integer).');
    if (request.byteLength > maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', `The image is larger than ${maxBytes} bytes.`, { maxBytes });
    const upload: PendingUpload = {
      id: newUploadId(),
      owner,
      projectName: request.projectName,
      contentType: contentType as PendingUpload['contentType'],
      byteLength: request.byteLength,
      expiresAt: (Math.floor(Date.now() / 1000) + this.options.ttlSeconds) * 1000,
      state: 'WAITING',
      storage: this.s3 ? 's3' : 'gateway',
    };
    await this.store.create(upload);
    const presignedUrl = this.s3 ? await this.s3.presign(upload.id, upload.contentType, upload.byteLength, this.options.ttlSeconds) : null;
    return { upload, presignedUrl };
  }

  /**
   * Takes the bytes PUT to an upload's URL: the declared type and exact size, then the image
   * checks multipart gets. Nothing is stored unless all pass, so a failed PUT can be repeated.
   */
  async receive(
    id: string,
    body: Readable,
    declared: { contentType?: string; contentLength?: string },
    rate?: ReceiveRate,
  ): Promise<{ sha256: string; byteLength: number }> {
    const upload = isUploadId(id) ? await this.store.get(id) : null;
    if (!upload) throw uploadNotFound(id);
    if (upload.storage === 's3')
      throw new AppError('BAD_USER_INPUT', `The upload ${id} takes its bytes in the model storage: PUT them to the uploadUrl createImageUpload returned.`);
    if (upload.state !== 'WAITING') throw alreadyReceived(id);
    const type = (declared.contentType ?? '').split(';')[0].trim().toLowerCase();
    if (type !== upload.contentType)
      throw new AppError('BAD_USER_INPUT', `This upload takes content-type ${upload.contentType} (as created), not ${type.slice(0, 100) || 'none'}.`);
    if (declared.contentLength !== undefined && Number(declared.contentLength) > upload.byteLength)
      throw new AppError('PAYLOAD_TOO_LARGE', `This upload takes exactly ${upload.byteLength} bytes (as created).`, { maxBytes: upload.byteLength });
    const { received, sha256 } = await readImageStream(body, upload.byteLength, rate);
    if (received.size !== upload.byteLength)
      throw new AppError('BAD_USER_INPUT', `The upload is truncated: ${received.size} of the ${upload.byteLength} bytes it was created for arrived.`);
    checkImage(received, sha256, upload.contentType, this.options.limits, 'exif');
    const found = await this.store.putBytes(id, received.whole, sha256);
    if (found === null) throw uploadNotFound(id);
    if (found !== 'WAITING') throw alreadyReceived(id);
    return { sha256, byteLength: received.size };
  }

  /**
   * Runs `use` with the upload's image, once: the upload is claimed first (a second concurrent
   * use is refused), consumed when `use` settles, and released for another try only when it
   * failed for a reason a retry may cure.
   */
  async use<T>(id: string, owner: string, projectName: string, use: (image: ImageInput) => Promise<T>): Promise<T> {
    const upload = isUploadId(id) ? await this.store.get(id) : null;
    if (!upload || upload.owner !== owner) throw uploadNotFound(id);
    if (upload.projectName !== projectName)
      throw new AppError('BAD_USER_INPUT', `The upload ${id} was created for project "${upload.projectName}", not "${projectName.slice(0, 255)}".`);
    const { limits } = this.options;
    if (upload.storage === 'gateway') {
      // The bytes were checked when they were PUT; their header is read again for the image.
      return this.claimed(
        upload,
        'READY',
        async () => {
          const bytes = await this.store.bytes(id);
          if (!bytes) throw uploadNotFound(id);
          return checkImage(bytes, upload.sha256 ?? '', upload.contentType, limits, 'exif');
        },
        async () => undefined,
        use,
      );
    }
    // In the model storage: nothing here knows when the PUT happened, so the claim is taken while
    // the upload is still WAITING; an absent object hands it back and tells the caller to PUT.
    const s3 = this.s3!;
    return this.claimed(
      upload,
      'WAITING',
      async () => {
        const bytes = await s3.read(id, upload.byteLength);
        if (!bytes) throw unusable(id, 'WAITING');
        if (bytes.length !== upload.byteLength)
          throw new AppError('BAD_USER_INPUT', `The upload is truncated: ${bytes.length} of the ${upload.byteLength} bytes it was created for arrived.`);
        return checkImage(bytes, createHash('sha256').update(bytes).digest('hex'), upload.contentType, limits, 'exif');
      },
      () => s3.remove(id).catch(() => undefined),
      use,
    );
  }

  /**
   * One use of an upload: claimed from `from`, its image read, `use` run. Whatever settles it for
   * good spends it (and `discard`s its bytes); a failure a retry may cure, or bytes not there yet,
   * hands it back to `from`.
   */
  private async claimed<T>(
    upload: PendingUpload,
    from: 'READY' | 'WAITING',
    read: () => Promise<ImageInput>,
    discard: () => Promise<void>,
    use: (image: ImageInput) => Promise<T>,
  ): Promise<T> {
    const { id } = upload;
    const found = await this.store.transition(id, from, 'CLAIMED');
    if (found !== from) throw unusable(id, found);
    const settle = async (err: unknown) => {
      if (isAppError(err) && (RETRYABLE.has(err.code) || err.code === 'UPLOAD_NOT_READY')) {
        await this.store.transition(id, 'CLAIMED', from).catch(() => null);
        return;
      }
      await this.store.transition(id, 'CLAIMED', 'USED').catch(() => null);
      await discard();
    };
    try {
      const result = await use(await read());
      await settle(null);
      return result;
    } catch (err) {
      await settle(err);
      throw err;
    }
  }
}

/** Expired uploads' objects are swept a minute after their record expired, so no detection still reads them. */
const SWEEP_GRACE_MS = 60_000;

function alreadyReceived(id: string): AppError {
  return new AppError('UPLOAD_USED', `The upload ${id} already has its bytes; create a new upload for another image.`, {
    resourceType: 'UPLOAD',
    resourceId: id,
  });
}

function unusable(id: string, state: string | null): AppError {
  if (state === null) return uploadNotFound(id);
  if (state === 'WAITING')
    return new AppError('UPLOAD_NOT_READY', `The upload ${id} has no image yet: PUT its bytes to the uploadUrl first.`, {
      resourceType: 'UPLOAD',
      resourceId: id,
    });
  if (state === 'CLAIMED')
    return new AppError('UPLOAD_USED', `The upload ${id} is in use by another detection right now; an upload is used once.`, {
      resourceType: 'UPLOAD',
      resourceId: id,
    });
  return new AppError('UPLOAD_USED', `The upload ${id} was already used; an upload is used once. Create a new one.`, {
    resourceType: 'UPLOAD',
    resourceId: id,
  });
}
