import { isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { AppError } from '../errors';

/**
 * Where `s3://bucket/key` lives on this machine. Lookout for Vision read manifests and images
 * from S3 and wrote evaluation output there; users without S3 keep the same calls. A bucket is
 * either mapped to a folder (`S3_BUCKETS=bucket=/path`) or, unmapped, is the folder
 * `<DATA_DIR>/s3/<bucket>`, so an unmapped output bucket is not an error.
 */
export class Buckets {
  private readonly folders: Readonly<Record<string, string>>;

  constructor(
    mapped: Record<string, string>,
    private readonly dataDir: string,
  ) {
    this.folders = Object.freeze(Object.fromEntries(Object.entries(mapped).map(([b, f]) => [b, resolve(f)])));
  }

  folder(bucket: string): string {
    return this.folders[bucket] ?? join(this.dataDir, 's3', bucket);
  }

  /** The local path of an object; keys never climb out of their bucket's folder. */
  path(bucket: string, key: string): string {
    const root = this.folder(bucket);
    const path = normalize(join(root, key));
    if (isAbsolute(key) || (path !== root && !path.startsWith(root + sep))) {
      throw new AppError('BAD_USER_INPUT', `The key "${key}" leaves bucket "${bucket}".`);
    }
    return path;
  }

  /** For the engine's manifest reader: every bucket it may meet, mapped to its folder. */
  resolver(): (bucket: string) => string {
    return (bucket) => this.folder(bucket);
  }
}

/** Parses `bucket=/folder,other=/folder2` (the S3_BUCKETS setting). */
export function parseBucketMap(text: string): { map: Record<string, string>; problems: string[] } {
  const map: Record<string, string> = {};
  const problems: string[] = [];
  for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const i = pair.indexOf('=');
    const bucket = pair.slice(0, i);
    const folder = pair.slice(i + 1);
    if (i < 1 || !/^[0-9A-Za-z.\-_]{3,63}$/.test(bucket)) problems.push(`"${pair}" must be bucket=folder with a 3-63 character bucket name`);
    else if (!folder) problems.push(`bucket "${bucket}" has no folder`);
    else map[bucket] = folder;
  }
  return { map, problems };
}
