import { readdir } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { confinedJoin } from '../engine/dataset/file-access';
import { BUCKET_NAME } from '../engine/dataset/manifest';
import { AppError } from '../errors';
import { exists } from '../lib/exists';
import type { S3Objects } from './s3-objects';

/**
 * Where `s3://bucket/key` lives. Lookout for Vision read manifests and images from S3 and wrote
 * evaluation output there; users without S3 keep the same calls. A bucket is, in this order:
 * - mapped to a folder (`S3_BUCKETS=bucket=/path`);
 * - on the S3-compatible endpoint (`S3_ENDPOINT`), read through a local mirror;
 * - otherwise the folder `<DATA_DIR>/s3/<bucket>`, so an unmapped output bucket is not an error.
 */
export class Buckets {
  private readonly folders: Readonly<Record<string, string>>;

  constructor(
    mapped: Record<string, string>,
    private readonly dataDir: string,
    private readonly remote: S3Objects | null = null,
  ) {
    this.folders = Object.freeze(Object.fromEntries(Object.entries(mapped).map(([b, f]) => [b, resolve(f)])));
  }

  private isRemote(bucket: string): boolean {
    return this.remote !== null && !(bucket in this.folders);
  }

  folder(bucket: string): string {
    return this.folders[bucket] ?? join(this.dataDir, this.remote ? 's3-mirror' : 's3', bucket);
  }

  /** Makes the local copy of a remote object current (a no-op for folder buckets). */
  async fetch(bucket: string, key: string): Promise<void> {
    if (this.isRemote(bucket)) await this.remote!.download(bucket, key, this.path(bucket, key));
  }

  /** As `fetch`, unless the local mirror already holds the object. */
  async fetchMissing(bucket: string, key: string): Promise<void> {
    if (this.isRemote(bucket) && !(await exists(this.path(bucket, key)))) await this.fetch(bucket, key);
  }

  /**
   * Every object under `s3://bucket/prefix`, relative to the prefix: the files of a folder bucket,
   * or the keys on the endpoint. Nothing is copied yet; the dataset copies what it takes.
   */
  async list(bucket: string, prefix: string, max: number): Promise<string[]> {
    if (this.isRemote(bucket)) return this.remote!.list(bucket, prefix, max);
    const dir = this.path(bucket, prefix || '.');
    let files: string[];
    try {
      files = await readdir(dir, { recursive: true });
    } catch {
      throw new AppError('DATASET_INVALID', `s3://${bucket}/${prefix} is not a folder the gateway can read.`);
    }
    if (files.length > max) throw new AppError('DATASET_INVALID', `s3://${bucket}/${prefix} holds more than ${max} files.`);
    return files.map((f) => f.split(sep).join('/'));
  }

  /** Sends a file written at `path(bucket, key)` to its remote bucket (a no-op for folder buckets). */
  async publish(bucket: string, key: string, contentType: string): Promise<void> {
    if (this.isRemote(bucket)) await this.remote!.upload(bucket, key, this.path(bucket, key), contentType);
  }

  close(): void {
    this.remote?.close();
  }

  /** The local path of an object; keys never climb out of their bucket's folder, nor names out of the buckets' one. */
  path(bucket: string, key: string): string {
    const path = BUCKET_NAME.test(bucket) ? confinedJoin(this.folder(bucket), key) : null;
    if (!path) throw new AppError('BAD_USER_INPUT', `The key "${key.slice(0, 200)}" leaves bucket "${bucket.slice(0, 64)}".`);
    return path;
  }

  /** The folders every bucket lives in: mapped ones, and the one unmapped buckets share. */
  roots(): string[] {
    return [...Object.values(this.folders), join(this.dataDir, this.remote ? 's3-mirror' : 's3')];
  }

  /** For the engine's manifest reader: every bucket it may meet, mapped to its folder. */
  resolver(): (bucket: string) => string {
    return (bucket) => this.folder(bucket);
  }
}
