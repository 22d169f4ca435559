import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { writeFileAtomic } from '../lib/synced-write';

// The writer lives beside writeSynced so the engine (model operating points) shares it.
export { writeFileAtomic };

/**
 * The registry's records, and the files it keeps, are written whole or not at all
 * (writeFileAtomic: a hidden sibling, fsynced, renamed over the target).
 */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 1) + '\n');
}

/** The parsed record, or null when the file does not exist. A damaged record is an error. */
export async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path} is not a valid record: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
