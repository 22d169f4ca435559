import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../errors';
import { allowedByRoots, confinedJoin, describeRefusal, OPEN_FILE_ACCESS, readAllowedFile, UnreadableFile, type FileAccess } from './file-access';
import { displayColours } from './masks';
import type { AnomalyClass, Dataset, DatasetEntry, Label } from './types';

/**
 * Lookout for Vision dataset manifests: SageMaker Ground Truth JSON lines.
 *
 * The label key's name is free; what marks it is its `<key>-metadata` object with a `class-name`
 * of `normal` or `anomaly` (any other value leaves the image unlabelled, as the service did). The
 * mask key ends in `-ref` and its metadata carries `internal-color-map`. References may be paths
 * relative to the manifest, absolute paths, `file://` URLs, or `s3://bucket/key` where the caller
 * maps buckets to local folders. With `access.roots` set (the gateway), every reference must
 * land inside those roots and a bucket key may not climb out of its bucket's folder; a refusal
 * names the line and the reference as written, never the path it resolved to.
 */

export interface ManifestOptions {
  /** Bucket name -> local folder, for `s3://` references. */
  buckets?: Record<string, string>;
  /** Consulted for buckets `buckets` does not name (the gateway maps every bucket somewhere). */
  bucketFolder?: (bucket: string) => string;
  /** Which files references may name; any regular file by default (the CLI). */
  access?: FileAccess;
}

const HEX = /^#[0-9a-fA-F]{6}$/;

/** S3's bucket naming rules, loosely: what a folder name can safely be (no `..`, no `/`). */
export const BUCKET_NAME = /^[0-9A-Za-z][0-9A-Za-z.\-_]{1,61}[0-9A-Za-z]$/;

export async function readManifest(path: string, options: ManifestOptions = {}): Promise<Dataset> {
  const access = options.access ?? OPEN_FILE_ACCESS;
  let text: string;
  try {
    text = (await readAllowedFile(path, access)).toString('utf8');
  } catch (err) {
    if (!(err instanceof UnreadableFile)) throw err;
    throw new AppError('DATASET_INVALID', `The manifest ${path} ${describeRefusal(err, access)}.`, {}, { cause: err });
  }
  return parseManifest(text, dirname(resolve(path)), options);
}

export function parseManifest(text: string, baseDir: string, options: ManifestOptions = {}): Dataset {
  const entries: DatasetEntry[] = [];
  const classes = new Map<string, AnomalyClass>();
  let unlabelled = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    const where = `manifest line ${index + 1}`;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line);
    } catch {
      throw new AppError('DATASET_INVALID', `${where} is not valid JSON.`, { line: index + 1 });
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row))
      throw new AppError('DATASET_INVALID', `${where} is not a JSON object.`, { line: index + 1 });
    const source = row['source-ref'];
    if (typeof source !== 'string' || !source) throw new AppError('DATASET_INVALID', `${where} has no source-ref.`, { line: index + 1 });
    const label = findLabel(row);
    if (!label) {
      unlabelled++;
      return;
    }
    const entry: DatasetEntry = { image: resolveRef(source, baseDir, options, where), ref: source, label };
    const mask = findMask(row, where);
    if (mask && label === 'anomaly') {
      entry.mask = resolveRef(mask.ref, baseDir, options, where);
      entry.maskRef = mask.ref;
      entry.maskClasses = mask.classes;
      for (const c of mask.classes) {
        const known = classes.get(c.name);
        if (known && known.color !== c.color) {
          throw new AppError('DATASET_INVALID', `${where}: anomaly type "${c.name}" has colour ${c.color} here and ${known.color} elsewhere.`, {
            line: index + 1,
          });
        }
        classes.set(c.name, c);
      }
    }
    entries.push(entry);
  });
  return { entries, classes: displayColours([...classes.values()]), unlabelled };
}

export function findLabel(row: Record<string, unknown>): Label | null {
  for (const [key, value] of Object.entries(row)) {
    if (!key.endsWith('-metadata') || key.endsWith('-ref-metadata')) continue;
    const meta = value as Record<string, unknown> | null;
    const name = typeof meta?.['class-name'] === 'string' ? (meta['class-name'] as string).toLowerCase() : undefined;
    if (name === 'normal' || name === 'anomaly') return name;
    if (name !== undefined) return null;
  }
  // Lenient fallback for hand-written manifests without metadata: the conventional key's value.
  const v = row['anomaly-label'];
  if (v === 1 || v === '1') return 'anomaly';
  if (v === 0 || v === '0') return 'normal';
  return null;
}

function findMask(row: Record<string, unknown>, where: string): { ref: string; classes: AnomalyClass[] } | null {
  for (const [key, value] of Object.entries(row)) {
    if (!key.endsWith('-ref') || key === 'source-ref' || typeof value !== 'string') continue;
    const meta = row[`${key}-metadata`] as Record<string, unknown> | undefined;
    const map = meta?.['internal-color-map'] as Record<string, { 'class-name'?: unknown; 'hex-color'?: unknown }> | undefined;
    if (!map || typeof map !== 'object') throw new AppError('DATASET_INVALID', `${where}: ${key} has no internal-color-map in ${key}-metadata.`);
    const classes: AnomalyClass[] = [];
    for (const item of Object.values(map)) {
      const name = item?.['class-name'];
      const color = item?.['hex-color'];
      if (typeof name !== 'string' || typeof color !== 'string' || !HEX.test(color)) {
        throw new AppError('DATASET_INVALID', `${where}: internal-color-map entries need a class-name and a #RRGGBB hex-color.`);
      }
      if (name.toLowerCase() === 'background') continue;
      classes.push({ name, color: color.toUpperCase() });
    }
    return { ref: value, classes };
  }
  return null;
}

export function resolveRef(ref: string, baseDir: string, options: ManifestOptions, where: string): string {
  const access = options.access ?? OPEN_FILE_ACCESS;
  const refused = () => new AppError('DATASET_INVALID', `${where}: "${clip(ref)}" ${describeRefusal(new UnreadableFile('unreadable'), access)}.`);
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(ref);
  if (s3) {
    const folder = options.buckets?.[s3[1]] ?? options.bucketFolder?.(s3[1]);
    if (!folder) throw new AppError('DATASET_INVALID', `${where}: "${clip(ref)}" is in bucket "${clip(s3[1])}", which is not mapped to a local folder.`);
    // A bucket named `..` would otherwise make its own folder the data folder's parent.
    const path = BUCKET_NAME.test(s3[1]) ? confinedJoin(folder, s3[2]) : null;
    if (!path || !allowedByRoots(access, path)) throw refused();
    return resolve(path);
  }
  let path: string;
  if (ref.startsWith('file://')) {
    try {
      path = fileURLToPath(ref);
    } catch {
      throw new AppError('DATASET_INVALID', `${where}: "${clip(ref)}" is not a valid file URL.`);
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) {
    throw new AppError('DATASET_INVALID', `${where}: "${clip(ref)}" uses a scheme that is not supported.`);
  } else {
    path = isAbsolute(ref) ? ref : join(baseDir, ref);
  }
  if (!allowedByRoots(access, path)) throw refused();
  return resolve(path);
}

/** References are echoed in errors; a 8 KB one is not. */
const clip = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}...` : text);
