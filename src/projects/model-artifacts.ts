import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AppError } from '../errors';
import { MODEL_HEADER_FILE } from '../engine/model/model-store';
import { exists } from '../lib/exists';
import { s3Client, type S3EndpointOptions } from './s3-objects';

/**
 * Where trained models live beyond the replica that trained them. With ARTIFACTS_URL
 * (`s3://bucket/prefix`) a model folder is copied to S3-compatible storage before its record says
 * TRAINED, and a replica that needs a model it does not have fetches it into its DATA_DIR first;
 * without it, the folder under DATA_DIR is the only copy (one gateway).
 */
export interface ModelArtifacts {
  readonly kind: 'local' | 's3';
  /** Copies a trained model's folder to where every replica finds it. */
  publish(project: string, version: string, dir: string): Promise<void>;
  /** Makes sure the model's folder is on this disk; false when no copy exists anywhere. */
  fetch(project: string, version: string, dir: string): Promise<boolean>;
  remove(project: string, version: string): Promise<void>;
  /**
   * Keeps an image uploaded into a dataset where every replica reads it, and names it as a
   * dataset reference (`s3://...`); null: the project's folder on this disk is the only copy.
   */
  putImage(project: string, file: string, bytes: Buffer): Promise<string | null>;
  close(): void;
}

/** The header file: written last when published, so a model with it is complete. */
const HEADER = MODEL_HEADER_FILE;

export class LocalArtifacts implements ModelArtifacts {
  readonly kind = 'local' as const;
  async publish(): Promise<void> {}
  fetch(_project: string, _version: string, dir: string): Promise<boolean> {
    return exists(join(dir, HEADER));
  }
  async remove(): Promise<void> {}
  async putImage(): Promise<string | null> {
    return null;
  }
  close(): void {}
}

/** `s3://bucket/prefix` split; the prefix ends with "/" unless empty. */
export function parseArtifactsUrl(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) throw new Error(`${url} is not an s3://bucket/prefix URL`);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: m[1], prefix: prefix ? `${prefix}/` : '' };
}

export class S3Artifacts implements ModelArtifacts {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  /** One fetch per model at a time in this process; concurrent detections share it. */
  private readonly fetching = new Map<string, Promise<boolean>>();

  constructor(url: string, endpoint: S3EndpointOptions) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseArtifactsUrl(url));
    this.client = s3Client(endpoint);
  }

  private key(project: string, version: string, file = ''): string {
    return `${this.prefix}projects/${project}/models/${version}/${file}`;
  }

  async publish(project: string, version: string, dir: string): Promise<void> {
    const files = (await listFiles(dir)).map((p) => relative(dir, p));
    const ordered = [...files.filter((f) => f !== HEADER), ...files.filter((f) => f === HEADER)];
    await this.guard('store', async () => {
      for (const f of ordered) {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(project, version, f), Body: await readFile(join(dir, f)) }));
      }
    });
  }

  fetch(project: string, version: string, dir: string): Promise<boolean> {
    const k = `${project}/${version}`;
    let p = this.fetching.get(k);
    if (!p) {
      p = this.download(project, version, dir).finally(() => this.fetching.delete(k));
      this.fetching.set(k, p);
    }
    return p;
  }

  private async download(project: string, version: string, dir: string): Promise<boolean> {
    if (await exists(join(dir, HEADER))) return true;
    const keys = await this.list(project, version);
    if (!keys.includes(this.key(project, version, HEADER))) return false;
    // Into a sibling first, renamed into place whole: a detection never loads half a model.
    const staging = `${dir}.fetch-${randomBytes(4).toString('hex')}`;
    try {
      await this.guard('fetch', async () => {
        for (const key of keys) {
          const path = join(staging, key.slice(this.key(project, version).length));
          const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, await r.Body!.transformToByteArray());
        }
      });
      await rm(dir, { recursive: true, force: true });
      await mkdir(dirname(dir), { recursive: true });
      await rename(staging, dir);
      return true;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  private async list(project: string, version: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    await this.guard('list', async () => {
      do {
        const r = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.key(project, version), ContinuationToken: token }));
        for (const o of r.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    });
    return keys;
  }

  async remove(project: string, version: string): Promise<void> {
    const keys = await this.list(project, version);
    await this.guard('delete', async () => {
      for (let i = 0; i < keys.length; i += 1000) {
        await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) } }));
      }
    });
  }

  async putImage(project: string, file: string, bytes: Buffer): Promise<string> {
    const key = `${this.prefix}projects/${project}/images/${file}`;
    await this.guard('store', async () => {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes }));
    });
    return `s3://${this.bucket}/${key}`;
  }

  /** Storage failures leave as one typed error naming what could not be done. */
  private async guard(what: string, op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (err) {
      const reason = (err as { name?: string; message?: string }).name ?? (err as Error).message;
      throw new AppError('ARTIFACTS_UNAVAILABLE', `The model storage (ARTIFACTS_URL) failed to ${what} model files: ${reason}.`, {}, { cause: err });
    }
  }

  close(): void {
    this.client.destroy();
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}
