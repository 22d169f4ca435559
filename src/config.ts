import { z } from 'zod';

/**
 * Configuration comes from the environment, is validated once at start-up with every problem
 * listed together (fixing one at a time is tedious), and is then frozen so no module can change
 * it behind another's back. Each setting is documented in the README's settings table.
 */

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const schema = z
  .object({
    /** Threads each ONNX Runtime session may use for one inference. */
    ENGINE_THREADS: int(2, 1, 64),
    /** Images that may wait for the detector before requests get QUEUE_FULL. */
    ENGINE_QUEUE_LIMIT: int(64, 0, 10_000),
    /** Where trained models live (one directory per model). */
    DATA_DIR: z.string().min(1).default('.data'),
    /** Accepted image sides and pixel count; the pixel cap is checked before decoding. */
    IMAGE_MIN_SIDE: int(64, 1, 4096),
    IMAGE_MAX_SIDE: int(4096, 64, 16_384),
    IMAGE_MAX_PIXELS: int(4096 * 4096, 4096, 268_402_689),
  })
  .superRefine((c, ctx) => {
    if (c.IMAGE_MIN_SIDE > c.IMAGE_MAX_SIDE) ctx.addIssue({ code: 'custom', path: ['IMAGE_MIN_SIDE'], message: 'must not exceed IMAGE_MAX_SIDE' });
  });

export type Config = Readonly<z.infer<typeof schema>>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, the way shells and compose files usually mean them.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return Object.freeze(parsed.data);
}

export function imageLimits(c: Config) {
  return Object.freeze({ minSide: c.IMAGE_MIN_SIDE, maxSide: c.IMAGE_MAX_SIDE, maxPixels: c.IMAGE_MAX_PIXELS });
}
