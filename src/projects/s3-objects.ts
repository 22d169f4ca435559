import { readFile } from 'node:fs/promises';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { AppError } from '../errors';
import { writeFileAtomic } from './atomic-file';

export interface S3EndpointOptions {
  /** Unset: AWS itself. */
  endpoint?: string;
  region: string;
  /** Path-style addressing (`endpoint/bucket/key`), which MinIO and most local stores need. */
  forcePathStyle: boolean;
}

/** The S3 client for buckets and model storage alike (credentials: the standard AWS chain). */
export function s3Client(options: S3EndpointOptions): S3Client {
  return new S3Client({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    // Checksums only where S3 requires them: S3-compatible stores vary in what they accept.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
}

/** Largest object the gateway copies from a bucket (images and manifests; the service's image cap was 8 MB). */
const MAX_OBJECT_BYTES = 256 * 1024 * 1024;

/**
 * Buckets on an S3-compatible endpoint. Lookout for Vision copied a dataset's images when the
 * dataset was made; the gateway does the same, into a local mirror the engine reads from, so a
 * later change in the bucket does not change a dataset (or a training) behind its back.
 * Credentials come from the standard AWS chain, as for any S3 client.
 */
export class S3Objects {
  private readonly client: S3Client;

  constructor(options: S3EndpointOptions) {
    this.client = s3Client(options);
  }

  /** Copies `s3://bucket/key` to `path` (replacing what was there). */
  async download(bucket: string, key: string, path: string): Promise<void> {
    let bytes: Uint8Array;
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if ((r.ContentLength ?? 0) > MAX_OBJECT_BYTES) throw new AppError('DATASET_INVALID', `s3://${bucket}/${key} is larger than ${MAX_OBJECT_BYTES} bytes.`);
      bytes = await r.Body!.transformToByteArray();
    } catch (err) {
      if (err instanceof AppError) throw err;
      const name = err instanceof S3ServiceException ? err.name : (err as Error).message;
      throw new AppError('DATASET_INVALID', `s3://${bucket}/${key} cannot be read from the S3 endpoint: ${name}.`, {}, { cause: err });
    }
    await writeFileAtomic(path, bytes);
  }

  /** Keys under `prefix`, relative to it; more than `max` is refused rather than listed for minutes. */
  async list(bucket: string, prefix: string, max: number): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const r = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of r.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) keys.push(o.Key.slice(prefix.length));
        if (keys.length > max) throw new AppError('DATASET_INVALID', `s3://${bucket}/${prefix} holds more than ${max} objects.`);
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      if (err instanceof AppError) throw err;
      const name = err instanceof S3ServiceException ? err.name : (err as Error).message;
      throw new AppError('DATASET_INVALID', `s3://${bucket}/${prefix} cannot be listed on the S3 endpoint: ${name}.`, {}, { cause: err });
    }
    return keys;
  }

  async upload(bucket: string, key: string, path: string, contentType: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(path), ContentType: contentType }));
  }

  close(): void {
    this.client.destroy();
  }
}
