import { AppError, isAppError } from '../errors';
import { checkAllowedFile, describeRefusal, OPEN_FILE_ACCESS, UnreadableFile } from '../engine/dataset/file-access';
import { findLabel, parseManifest, resolveRef, type ManifestOptions } from '../engine/dataset/manifest';
import { displayColours } from '../engine/dataset/masks';
import type { AnomalyClass, Dataset, Label } from '../engine/dataset/types';
import type { DatasetEntryRecord } from './records';

/**
 * A dataset is a list of Ground Truth manifest lines, one per image, keyed by `source-ref`:
 * adding a line whose image is already there relabels it, as UpdateDatasetEntries did.
 */

/** The service's DatasetEntry shape: a JSON object of 2 to 8192 characters. */
const MAX_LINE = 8192;

interface Row {
  sourceRef: string;
  label: Label | null;
  row: Record<string, unknown>;
}

function readRow(line: string, where: string): Row {
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch {
    throw new AppError('DATASET_INVALID', `${where} is not valid JSON.`);
  }
  if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new AppError('DATASET_INVALID', `${where} is not a JSON object.`);
  const sourceRef = (row as Record<string, unknown>)['source-ref'];
  if (typeof sourceRef !== 'string' || !sourceRef) throw new AppError('DATASET_INVALID', `${where} has no source-ref.`);
  return { sourceRef, label: findLabel(row as Record<string, unknown>), row: row as Record<string, unknown> };
}

/** Manifest text -> entries; every line must be a JSON object with a `source-ref`. */
export function parseLines(text: string, base: string | null, now: number): DatasetEntryRecord[] {
  const out: DatasetEntryRecord[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    if (line.length > MAX_LINE) throw new AppError('DATASET_INVALID', `Line ${i + 1} is longer than ${MAX_LINE} characters.`);
    readRow(line, `Line ${i + 1}`);
    out.push({ line, base, createdAt: now });
  });
  return out;
}

/** Adds new images and relabels known ones; the order of first arrival is kept. */
export function mergeEntries(existing: DatasetEntryRecord[], changes: DatasetEntryRecord[]): DatasetEntryRecord[] {
  const byRef = new Map<string, DatasetEntryRecord>();
  for (const e of existing) byRef.set(readRow(e.line, 'entry').sourceRef, e);
  for (const c of changes) {
    const ref = readRow(c.line, 'entry').sourceRef;
    const old = byRef.get(ref);
    // A relabelled image keeps its creation time: it is the same dataset entry.
    byRef.set(ref, old ? { ...c, createdAt: old.createdAt } : c);
  }
  return [...byRef.values()];
}

export function imageStats(entries: DatasetEntryRecord[]): { total: number; labeled: number; normal: number; anomaly: number } {
  const stats = { total: entries.length, labeled: 0, normal: 0, anomaly: 0 };
  for (const e of entries) {
    const { label } = readRow(e.line, 'entry');
    if (!label) continue;
    stats.labeled++;
    stats[label]++;
  }
  return stats;
}

/** One entry as a client reads it: its image, its label, when it arrived. */
export function describeEntry(e: DatasetEntryRecord): { sourceRef: string; label: Label | null; createdAt: number; line: string } {
  const { sourceRef, label } = readRow(e.line, 'entry');
  return { sourceRef, label, createdAt: e.createdAt, line: e.line };
}

export interface EntryFilter {
  labeled?: boolean;
  anomalyClass?: Label;
  createdBefore?: number;
  createdAfter?: number;
  sourceRefContains?: string;
}

export function filterEntries(entries: DatasetEntryRecord[], f: EntryFilter): DatasetEntryRecord[] {
  return entries.filter((e) => {
    const { sourceRef, label } = readRow(e.line, 'entry');
    if (f.labeled !== undefined && f.labeled !== (label !== null)) return false;
    if (f.anomalyClass && label !== f.anomalyClass) return false;
    if (f.createdBefore !== undefined && !(e.createdAt < f.createdBefore)) return false;
    if (f.createdAfter !== undefined && !(e.createdAt > f.createdAfter)) return false;
    if (f.sourceRefContains && !sourceRef.includes(f.sourceRefContains)) return false;
    return true;
  });
}

/** The engine's view of the entries: labelled images with local paths and masks. */
export function toDataset(entries: DatasetEntryRecord[], options: ManifestOptions): Dataset {
  const out: Dataset = { entries: [], classes: [], unlabelled: 0 };
  const classes = new Map<string, AnomalyClass>();
  for (const e of entries) {
    const one = parseManifest(e.line, e.base ?? '/', options);
    out.entries.push(...one.entries);
    out.unlabelled += one.unlabelled;
    // Mask colours are compared as the lines give them; the colours types show in come after.
    for (const c of one.entries.flatMap((x) => x.maskClasses ?? [])) {
      const known = classes.get(c.name);
      if (known && known.color !== c.color)
        throw new AppError('DATASET_INVALID', `Anomaly type "${c.name}" has colour ${c.color} in one entry and ${known.color} in another.`);
      classes.set(c.name, c);
    }
  }
  out.classes = displayColours([...classes.values()]);
  return out;
}

/** The `s3://` objects entries name (images and masks), each once. */
export function referencedObjects(entries: DatasetEntryRecord[]): { bucket: string; key: string }[] {
  const seen = new Map<string, { bucket: string; key: string }>();
  for (const e of entries) {
    for (const [key, value] of Object.entries(readRow(e.line, 'entry').row)) {
      if (!key.endsWith('-ref') || typeof value !== 'string') continue;
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(value);
      if (m) seen.set(value, { bucket: m[1], key: m[2] });
    }
  }
  return [...seen.values()];
}

/**
 * Every image and mask an entry names must be readable now, and allowed: a dataset that points
 * at nothing (or at /dev/zero) is refused when it is made, not hours later when training fails.
 * The first few problems are listed by line, with the reference as the client wrote it.
 */
export async function checkReferences(entries: DatasetEntryRecord[], options: ManifestOptions): Promise<void> {
  const access = options.access ?? OPEN_FILE_ACCESS;
  const problems: string[] = [];
  for (const [i, e] of entries.entries()) {
    const { row } = readRow(e.line, 'entry');
    for (const [key, value] of Object.entries(row)) {
      if (!key.endsWith('-ref') || typeof value !== 'string') continue;
      const where = `Line ${i + 1}`;
      try {
        await checkAllowedFile(resolveRef(value, e.base ?? '/', options, where), access);
      } catch (err) {
        if (isAppError(err)) problems.push(err.message.replace(/\.$/, ''));
        else if (err instanceof UnreadableFile) problems.push(`${where}: "${value.slice(0, 200)}" ${describeRefusal(err, access)}`);
        else throw err;
      }
    }
    if (problems.length >= 5) break;
  }
  if (problems.length) throw new AppError('DATASET_INVALID', `Images or masks the dataset names cannot be used: ${problems.join('; ')}.`);
}
