import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AppError } from '../../errors';
import { parseArtifactsUrl } from '../../projects/model-artifacts';
import { s3Client, type S3EndpointOptions } from '../../projects/s3-objects';

/**
 * Where out-of-band image bytes go when models live in S3 (ARTIFACTS_URL): a presigned PUT
 * straight to the bucket, under `<prefix>uploads/<id>`, so the bytes never pass through a
 * gateway process until a detection reads them. The URL signs the content-type and the exact
 * content-length, so the store itself refuses another type or size. Objects are deleted when
 * their upload is used, and swept once their upload has expired.
 */
export class S3UploadBytes {
  private readonly client: S3Client;
  /** Signs the URLs clients use: on the storage's public address where that differs. */
  private readonly signer: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(artifactsUrl: string, endpoint: S3EndpointOptions, publicEndpoint?: string) {
    const { bucket, prefix } = parseArtifactsUrl(artifactsUrl);
    this.bucket = bucket;
    this.prefix = `${prefix}uploads/`;
    this.client = s3Client(endpoint);
    // Presigning is local arithmetic; the signature covers the host, so it must be the client's.
    this.signer = publicEndpoint ? s3Client({ ...endpoint, endpoint: publicEndpoint }) : this.client;
  }

  private key(id: string): string {
    return `${this.prefix}${id}`;
  }

  presign(id: string, contentType: string, byteLength: number, expiresInSeconds: number): Promise<string> {
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: this.key(id), ContentType: contentType, ContentLength: byteLength });
    return this.guard(() => getSignedUrl(this.signer, command, { expiresIn: expiresInSeconds, signableHeaders: new Set(['content-type', 'content-length']) }));
  }

  /** The object's bytes, or null while nothing was PUT. More than `maxBytes` is refused unread. */
  async read(id: string, maxBytes: number): Promise<Buffer | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(id) }));
      if ((out.ContentLength ?? 0) > maxBytes) {
        out.Body?.transformToWebStream()
          .cancel()
          .catch(() => undefined);
        throw new AppError('PAYLOAD_TOO_LARGE', `The upload holds more than the ${maxBytes} bytes it was created for.`, { maxBytes });
      }
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return null;
      if (err instanceof AppError) throw err;
      throw new AppError('ARTIFACTS_UNAVAILABLE', 'The upload could not be read from the model storage.', {}, { cause: err });
    }
  }

  async remove(id: string): Promise<void> {
    await this.guard(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(id) })));
  }

  /** Deletes uploads older than `maxAgeMs`: the ones never used, whose upload expired. */
  async sweep(maxAgeMs: number): Promise<number> {
    const cutoff = Date.now() - maxAgeMs;
    let removed = 0;
    let token: string | undefined;
    do {
      const page = await this.guard(() => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token })));
      for (const o of page.Contents ?? []) {
        if (!o.Key || !o.LastModified || o.LastModified.getTime() > cutoff) continue;
        await this.guard(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: o.Key })));
        removed++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return removed;
  }

  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw new AppError('ARTIFACTS_UNAVAILABLE', undefined, {}, { cause: err });
    }
  }

  close(): void {
    this.client.destroy();
    if (this.signer !== this.client) this.signer.destroy();
  }
}
