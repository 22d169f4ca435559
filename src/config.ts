import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { isScope } from './auth/principal';

/**
 * Configuration comes from the environment, is validated once at start-up with every problem
 * listed together (fixing one at a time is tedious), and is then frozen so no module can change
 * it behind another's back. Each setting is documented in the README's settings table.
 */

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

/**
 * `id:secret` pairs, comma separated, each id matching `idPattern` and each secret at least
 * `minSecret` long; every bad pair is reported, and the secret itself never is.
 */
const keyPairs = (idPattern: RegExp, idRule: string, minSecret: number) =>
  z
    .string()
    .transform((v, ctx) => {
      const keys = v
        .split(',')
        .map((pair) => pair.trim())
        .filter(Boolean)
        .map((pair) => {
          const i = pair.indexOf(':');
          return { id: i < 0 ? pair : pair.slice(0, i), secret: i < 0 ? '' : pair.slice(i + 1) };
        });
      for (const k of keys) {
        if (!idPattern.test(k.id)) ctx.addIssue({ code: 'custom', message: `key id "${k.id.slice(0, 32)}" must be ${idRule}` });
        if (k.secret.length < minSecret)
          ctx.addIssue({ code: 'custom', message: `the secret of key "${k.id.slice(0, 32)}" must have at least ${minSecret} characters` });
      }
      if (!keys.length) ctx.addIssue({ code: 'custom', message: 'no keys given' });
      return keys;
    })
    .optional();

/** Mask URL keys, newest (the signing key) first. */
const maskKeys = keyPairs(/^[A-Za-z0-9_-]{1,32}$/, '1-32 letters, digits, _ or -', 32);

/** Who may call the Lookout for Vision endpoint: `ACCESS_KEY_ID:secret`, as the SDKs are given them. */
const accessKeys = keyPairs(/^[A-Za-z0-9]{4,128}$/, '4-128 letters or digits', 16).transform((keys) =>
  keys?.map((k) => ({ accessKeyId: k.id, secret: k.secret })),
);

/** GraphQL API keys: `name:secret:scope+scope`, comma separated; secrets of 32+ characters. */
const apiKeys = z
  .string()
  .transform((v, ctx) => {
    const keys = v
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean)
      .map((text) => {
        // Scopes hold colons themselves (detect:line-3), so only the first two separate fields.
        const [name = '', secret = '', ...scopes] = text.split(':');
        return { name, secret, scopes: scopes.join(':').split('+').filter(Boolean) };
      });
    for (const k of keys) {
      const id = k.name.slice(0, 32);
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(k.name)) ctx.addIssue({ code: 'custom', message: `key name "${id}" must be 1-64 letters, digits, _, . or -` });
      if (k.secret.length < 32) ctx.addIssue({ code: 'custom', message: `the secret of key "${id}" must have at least 32 characters` });
      if (!k.scopes.length) ctx.addIssue({ code: 'custom', message: `key "${id}" must be name:secret:scope+scope` });
      for (const scope of k.scopes)
        if (!isScope(scope))
          ctx.addIssue({
            code: 'custom',
            message: `key "${id}" has the unknown scope "${scope.slice(0, 64)}" (admin, router, detect:<project>, read:<project>, detect:* or read:*)`,
          });
    }
    if (new Set(keys.map((k) => k.name)).size !== keys.length) ctx.addIssue({ code: 'custom', message: 'key names must be unique' });
    return keys.map(({ name, secret, scopes }) => ({ name, secret, scopes }));
  })
  .optional();

/** `bucket=folder` pairs, comma separated: where `s3://bucket/...` lives on this machine. */
const bucketMap = z
  .string()
  .transform((v, ctx) => {
    const { map, problems } = parseBucketMap(v);
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    return map;
  })
  .default({});

/** Absolute folders, comma separated. */
const folderList = z
  .string()
  .transform((v, ctx) => {
    const folders = v
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    for (const f of folders) if (!isAbsolute(f)) ctx.addIssue({ code: 'custom', message: `"${f.slice(0, 200)}" must be an absolute folder` });
    return folders;
  })
  .default([]);

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
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    /** HTTP port; GraphQL answers at /graphql. */
    PORT: int(4000, 0, 65_535),
    HOST: z.string().default('0.0.0.0'),
    /** Base of mask URLs as clients see them; by default taken from the request's Host. */
    PUBLIC_BASE_URL: z.url().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Largest upload, and most files in one request. */
    MAX_UPLOAD_BYTES: int(8 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    MAX_UPLOAD_FILES: int(16, 1, 256),
    /** Uploads read into memory at once; the rest wait in their sockets. */
    UPLOAD_READ_CONCURRENCY: int(16, 1, 1024),
    /** An upload slower than this (after a 3 s grace) is dropped, freeing its slot. */
    UPLOAD_MIN_BYTES_PER_SECOND: int(16 * 1024, 1, 1024 * 1024 * 1024),
    /** How long an out-of-band upload (createImageUpload) may wait for its bytes and its detection. */
    UPLOAD_URL_TTL_SECONDS: int(600, 10, 86_400),
    /** Without Redis: room for out-of-band uploads waiting in memory, in bytes (declared sizes count from creation). */
    PENDING_UPLOADS_MAX_BYTES: int(256 * 1024 * 1024, 1024 * 1024, 16 * 1024 * 1024 * 1024),
    /** Time to receive a request's headers, and the whole request. */
    HEADERS_TIMEOUT_MS: int(10_000, 1_000, 600_000),
    /** SIGTERM to exit, whatever is in flight or queued (trainings resume at the next start). */
    SHUTDOWN_TIMEOUT_MS: int(10_000, 1_000, 600_000),
    REQUEST_TIMEOUT_MS: int(120_000, 1_000, 3_600_000),
    /** Detector backend: the embedded engine, or a Lookout for Vision endpoint through the AWS SDK. */
    BACKEND: z.enum(['local', 'lookoutvision']).default('local'),
    /** The web page at / (drop images, see verdicts and overlays, manage models). */
    WEB_PAGE: z.stringbool().default(true),
    /** Train and serve the demo model at start-up (local backend). */
    DEMO_MODEL: z.stringbool().default(true),
    /** Redis for the result cache and cross-replica single-flight; unset: in-process memory. */
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
    /**
     * PostgreSQL for projects, datasets and models, shared by replicas (migrated at start); unset:
     * JSON files under DATA_DIR, owned by one process.
     */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    /** Connections each replica keeps to PostgreSQL. */
    DATABASE_POOL_SIZE: int(10, 1, 200),
    /**
     * With DATABASE_URL: how long a replica's claim on a training lasts unless renewed (three
     * times per span); a training whose replica died is taken over within about 1.5x this.
     */
    TRAINING_LEASE_MS: int(30_000, 1_000, 600_000),
    /** Memory banks of loaded models one replica keeps before unloading the least recently used (they reload on use). */
    MODEL_MEMORY_BUDGET_MB: int(2048, 16, 1024 * 1024),
    CACHE_KEY_PREFIX: z.string().max(64).default('lookout:'),
    CACHE_TTL_SECONDS: int(86_400, 1, 30 * 86_400),
    /** Bound of the in-memory cache (results and masks), in bytes. */
    CACHE_MAX_BYTES: int(256 * 1024 * 1024, 1024 * 1024, 16 * 1024 * 1024 * 1024),
    /** Redis commands fail over to "miss" after this long (a Redis outage costs at most this). */
    REDIS_COMMAND_TIMEOUT_MS: int(100, 10, 10_000),
    /** How long a detection holds its cross-replica lock, and how long others wait for it. */
    SINGLE_FLIGHT_LOCK_MS: int(30_000, 100, 600_000),
    MASK_URL_KEYS: maskKeys,
    MASK_URL_TTL_SECONDS: int(900, 1, 604_800),
    /** The `lookoutvision` backend: any endpoint speaking the service's protocol (unset: AWS). */
    LOOKOUTVISION_ENDPOINT: z.url().optional(),
    /** Region for signing and for the AWS endpoint; falls back to the SDK's AWS_REGION. */
    LOOKOUTVISION_REGION: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .optional(),
    LOOKOUTVISION_CONNECT_TIMEOUT_MS: int(2_000, 100, 60_000),
    LOOKOUTVISION_REQUEST_TIMEOUT_MS: int(10_000, 100, 300_000),
    LOOKOUTVISION_MAX_ATTEMPTS: int(3, 1, 10),
    AWS_REGION: z.string().optional(),
    /** GraphiQL at /graphql in a browser; by default on except in production. */
    GRAPHIQL: z.stringbool().optional(),
    /** Concurrent backend calls one batch request may make. */
    BATCH_CONCURRENCY: int(2, 1, 64),
    /** The gateway's own Lookout for Vision endpoint (/2020-11-20/): who may call it. */
    LFV_ACCESS_KEYS: accessKeys,
    /** Region and account in the ARNs the endpoint hands out. */
    LFV_REGION: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/)
      .default('us-east-1'),
    LFV_ACCOUNT_ID: z
      .string()
      .regex(/^[0-9]{12}$/, 'must be 12 digits')
      .default('000000000000'),
    /** Most projects the gateway keeps (ServiceQuotaExceededException beyond). */
    MAX_PROJECTS: int(100, 1, 100_000),
    /** Most trainings one project may have running or waiting. */
    MAX_QUEUED_TRAININGS: int(10, 1, 1000),
    /** Most images (manifest lines) in one dataset. */
    MAX_DATASET_IMAGES: int(20_000, 10, 10_000_000),
    /** Largest image, mask or manifest file a dataset may name. */
    DATASET_MAX_FILE_BYTES: int(32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    /** Folders besides DATA_DIR and the bucket folders that manifests may name by path or file:// URL. */
    DATASET_ROOTS: folderList,
    /** Buckets of `s3://` references mapped to folders; unmapped buckets are DATA_DIR/s3/<bucket>. */
    S3_BUCKETS: bucketMap,
    /** An S3-compatible endpoint for buckets S3_BUCKETS does not map (credentials: the AWS chain). */
    S3_ENDPOINT: z.url().optional(),
    /** The same storage as clients outside reach it, for presigned upload URLs (unset: S3_ENDPOINT). */
    S3_PUBLIC_ENDPOINT: z.url().optional(),
    /**
     * Where out-of-band upload bytes go: `storage` (a presigned PUT into ARTIFACTS_URL), `gateway`
     * (a signed PUT to the gateway, kept in Redis or memory), or `auto` (storage when ARTIFACTS_URL
     * is set and the embedded engine runs).
     */
    UPLOADS_VIA: z.enum(['auto', 'gateway', 'storage']).default('auto'),
    S3_REGION: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/)
      .default('us-east-1'),
    S3_FORCE_PATH_STYLE: z.stringbool().default(true),
    /**
     * Where trained models are kept for every replica (`s3://bucket/prefix`, on S3_ENDPOINT or AWS;
     * credentials: the AWS chain); unset: only under DATA_DIR.
     */
    ARTIFACTS_URL: z
      .string()
      .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'must be an s3://bucket/prefix URL')
      .optional(),
    /** Limits on a GraphQL document's size and shape (graphql-armor). */
    GRAPHQL_MAX_TOKENS: int(2_000, 100, 1_000_000),
    GRAPHQL_MAX_DEPTH: int(12, 2, 100),
    GRAPHQL_MAX_ALIASES: int(32, 0, 10_000),
    GRAPHQL_MAX_COST: int(25_000, 100, 10_000_000),
    /** GraphQL API keys (`x-api-key`), and JWTs verified against a JWKS (`authorization: Bearer`). */
    API_KEYS: apiKeys,
    JWKS_URL: z.url().optional(),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    /** Bearer token the GraphQL management mutations require (always required in production). */
    GRAPHQL_ADMIN_TOKEN: z.string().min(32, 'must have at least 32 characters').optional(),
    /** GraphQL detections start a stopped (TRAINED) model instead of refusing. */
    AUTOSTART_MODELS: z.stringbool().default(true),
  })
  .superRefine((c, ctx) => {
    const jwt = [c.JWKS_URL, c.JWT_ISSUER, c.JWT_AUDIENCE].filter(Boolean).length;
    if (jwt && jwt < 3) ctx.addIssue({ code: 'custom', path: ['JWKS_URL'], message: 'JWKS_URL, JWT_ISSUER and JWT_AUDIENCE go together' });
    // Mask URLs built from a client's Host header would point wherever that client says.
    if (c.NODE_ENV === 'production' && !c.PUBLIC_BASE_URL)
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_BASE_URL'], message: 'is required in production (mask URLs are built on it, never on the Host header)' });
    if (c.HEADERS_TIMEOUT_MS > c.REQUEST_TIMEOUT_MS)
      ctx.addIssue({ code: 'custom', path: ['HEADERS_TIMEOUT_MS'], message: 'must not exceed REQUEST_TIMEOUT_MS' });
    if (c.UPLOADS_VIA === 'storage' && (!c.ARTIFACTS_URL || c.BACKEND !== 'local'))
      ctx.addIssue({ code: 'custom', path: ['UPLOADS_VIA'], message: 'storage needs ARTIFACTS_URL and BACKEND=local' });
    if (c.IMAGE_MIN_SIDE > c.IMAGE_MAX_SIDE) ctx.addIssue({ code: 'custom', path: ['IMAGE_MIN_SIDE'], message: 'must not exceed IMAGE_MAX_SIDE' });
    if (c.BACKEND === 'lookoutvision' && !c.LOOKOUTVISION_REGION && !c.AWS_REGION) {
      ctx.addIssue({ code: 'custom', path: ['LOOKOUTVISION_REGION'], message: 'BACKEND=lookoutvision needs LOOKOUTVISION_REGION or AWS_REGION' });
    }
  });

export type Config = Readonly<z.infer<typeof schema> & { GRAPHIQL: boolean }>;

/** Parses `bucket=/folder,other=/folder2` (the S3_BUCKETS setting). */
function parseBucketMap(text: string): { map: Record<string, string>; problems: string[] } {
  const map: Record<string, string> = {};
  const problems: string[] = [];
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const i = pair.indexOf('=');
    const bucket = pair.slice(0, i);
    const folder = pair.slice(i + 1);
    if (i < 1 || !/^[0-9A-Za-z.\-_]{3,63}$/.test(bucket)) problems.push(`"${pair}" must be bucket=folder with a 3-63 character bucket name`);
    else if (!folder) problems.push(`bucket "${bucket}" has no folder`);
    else map[bucket] = folder;
  }
  return { map, problems };
}
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
  const c = parsed.data;
  return Object.freeze({ ...c, GRAPHIQL: c.GRAPHIQL ?? c.NODE_ENV !== 'production' });
}

export function imageLimits(c: Config) {
  return Object.freeze({ minSide: c.IMAGE_MIN_SIDE, maxSide: c.IMAGE_MAX_SIDE, maxPixels: c.IMAGE_MAX_PIXELS });
}
