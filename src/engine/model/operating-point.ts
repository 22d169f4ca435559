import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../errors';
import { writeFileAtomic } from '../../lib/synced-write';
import { DEFAULT_SENSITIVITY } from '../calibration';

/**
 * The sensitivity a line user chose after training, beside the model it tunes. It lives in its
 * own file so the model proper (header, bank, hashes) is never rewritten to move a threshold, and
 * a model without one decides as it was calibrated. The gateway's registry keeps the choice on
 * the model's record instead (a tag), where every replica and the result cache see it.
 */
const FILE = 'operating-point.json';

const schema = z.object({ sensitivity: z.number().gt(0).lt(1) });

export async function readSensitivity(dir: string): Promise<number> {
  let raw: string;
  try {
    raw = await readFile(join(dir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_SENSITIVITY;
    throw err;
  }
  let parsed: z.ZodSafeParseResult<{ sensitivity: number }>;
  try {
    parsed = schema.safeParse(JSON.parse(raw));
  } catch (err) {
    throw new AppError('MODEL_CORRUPT', `${join(dir, FILE)} is not valid JSON.`, {}, { cause: err });
  }
  if (!parsed.success) throw new AppError('MODEL_CORRUPT', `${join(dir, FILE)} must hold a sensitivity between 0 and 1.`);
  return parsed.data.sensitivity;
}

export async function writeSensitivity(dir: string, sensitivity: number): Promise<void> {
  await writeFileAtomic(join(dir, FILE), JSON.stringify(schema.parse({ sensitivity })) + '\n');
}
