import type { ExtractorSpec } from '../features/extractor';
import type { Box } from '../image/decode';

/** Turns CLI strings into engine options, refusing anything malformed with a usage error. */
export class UsageError extends Error {}

export function parseRoi(value: string | undefined): 'auto' | 'none' | Box | undefined {
  if (value === undefined || value === 'auto' || value === 'none') return value;
  const parts = value.split(',').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isFinite(p) || p < 0 || p > 1)) {
    throw new UsageError('--roi takes auto, none, or left,top,width,height as fractions between 0 and 1.');
  }
  const [left, top, width, height] = parts;
  if (width <= 0 || height <= 0 || left + width > 1 || top + height > 1) throw new UsageError('--roi must lie inside the image.');
  return { left, top, width, height };
}

export function parseExtractor(name: string | undefined, layers: string | undefined): ExtractorSpec | undefined {
  const list = layers
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // Without --layers the trainer picks MobileNetV2 layers for the input resolution.
  if (!name || name === 'mobilenet-v2') return list ? { kind: 'mobilenet-v2', layers: list } : undefined;
  if (name === 'handcrafted') return { kind: 'handcrafted' };
  if (name.startsWith('onnx:')) {
    if (!list) throw new UsageError('--extractor onnx:<file> needs --layers naming the tensors to use as features.');
    return { kind: 'onnx', path: name.slice(5), layers: list };
  }
  throw new UsageError(`Unknown extractor "${name}".`);
}

export function parsePositiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} takes a whole number.`);
  return n;
}

export function parseBuckets(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError('--bucket takes name=folder.');
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

export function parseRatio(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new UsageError(`${flag} takes a number above 0 and at most 1.`);
  return n;
}

/** Picks one of a flag's allowed words; undefined when the flag is absent. */
export function parseChoice<T extends string>(value: string | undefined, flag: string, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T)) throw new UsageError(`${flag} takes ${choices.join(', ')}.`);
  return value as T;
}

export function parseSensitivity(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new UsageError('--sensitivity takes a number strictly between 0 and 1 (0.5: as calibrated).');
  return n;
}

/** A share in [0, 1] (0 allowed, unlike a ratio). */
export function parseShare(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`${flag} must be a number from 0 to 1; got "${value}".`);
  return n;
}
