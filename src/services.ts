import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { imageLimits, type Config } from './config';
import type { DetectorBackend } from './detection/backends/backend';
import { LocalBackend } from './detection/backends/local-backend';
import { LookoutVisionBackend } from './detection/backends/lookoutvision-backend';
import { MemoryCache } from './detection/cache/memory-cache';
import { RedisCache } from './detection/cache/redis-cache';
import type { ResultCache } from './detection/cache/result-cache';
import { ImageUploads } from './detection/uploads/image-uploads';
import { MemoryUploads } from './detection/uploads/memory-uploads';
import { RedisUploads } from './detection/uploads/redis-uploads';
import { S3UploadBytes } from './detection/uploads/s3-upload-bytes';
import { DetectionService } from './detection/detection-service';
import { ensureDemoModel } from './engine/demo/demo-model';
import { WorkQueue } from './lib/work-queue';
import { Metrics } from './lib/metrics';
import { EnginePool } from './engine/worker/engine-pool';
import type { ProjectServices, Services } from './graphql/context';
import { lockDataDir, type DataDirLock } from './projects/data-dir-lock';
import { IdempotencyStore } from './projects/idempotency';
import { Buckets } from './projects/locations';
import { ModelLifecycle } from './projects/model-lifecycle';
import { TrainingRuns } from './projects/training-runs';
import { ProjectStore } from './projects/project-store';
import { openState } from './projects/open-records';
import { LocalArtifacts, S3Artifacts } from './projects/model-artifacts';
import { importFileRecords } from './projects/import-records';
import { ProjectRegistry } from './projects/registry';
import { S3Objects } from './projects/s3-objects';
import { ApiKeys } from './auth/api-keys';
import { createAuthenticator } from './auth/authenticate';
import { JwtVerifier } from './auth/jwt';
import { MaskSigner } from './masks/mask-signer';
import { sweepStaging } from './lib/synced-write';

/** Builds the long-lived services from the validated config, in dependency order. */
export async function createServices(
  config: Config,
  log: Logger = pino({ level: config.LOG_LEVEL }),
  // A lost lock means another process has taken the data folder over; the process should stop.
  onLockLost: (err: Error) => void = (err) => log.error({ err }, 'the data folder lock was lost: another process may be writing to DATA_DIR'),
): Promise<Services & { close(): Promise<void> }> {
  const dataDir = resolve(config.DATA_DIR);
  const metrics = new Metrics();
  let backend: DetectorBackend;
  let projects: ProjectServices | null = null;
  let lock: DataDirLock | null = null;
  if (config.BACKEND === 'lookoutvision') {
    backend = new LookoutVisionBackend({
      endpoint: config.LOOKOUTVISION_ENDPOINT,
      region: config.LOOKOUTVISION_REGION ?? config.AWS_REGION,
      connectTimeoutMs: config.LOOKOUTVISION_CONNECT_TIMEOUT_MS,
      requestTimeoutMs: config.LOOKOUTVISION_REQUEST_TIMEOUT_MS,
      maxAttempts: config.LOOKOUTVISION_MAX_ATTEMPTS,
    });
  } else {
    lock = await lockDataDir(dataDir, onLockLost);
    // Staging a crash (or a full disk) left behind; only this process writes here now.
    const swept = await sweepStaging(dataDir);
    if (swept) log.info({ swept }, 'removed unfinished writes left in DATA_DIR');
    if (config.DEMO_MODEL) await ensureDemoModel(dataDir, (line) => log.info(line));
    const pool = new EnginePool({
      threads: config.ENGINE_THREADS,
      queueLimit: config.ENGINE_QUEUE_LIMIT,
      limits: imageLimits(config),
      modelMemoryBytes: config.MODEL_MEMORY_BUDGET_MB * 1024 * 1024,
    });
    const state = await openState(config, dataDir, log);
    await importFileRecords(dataDir, state.records, log);
    const artifacts = config.ARTIFACTS_URL
      ? new S3Artifacts(config.ARTIFACTS_URL, { endpoint: config.S3_ENDPOINT, region: config.S3_REGION, forcePathStyle: config.S3_FORCE_PATH_STYLE })
      : new LocalArtifacts();
    const store = new ProjectStore(dataDir, state.records, artifacts);
    await store.load();
    const buckets = new Buckets(
      config.S3_BUCKETS,
      dataDir,
      // With ARTIFACTS_URL, uploaded dataset images are named by s3:// references into it, read like any bucket's.
      config.S3_ENDPOINT || config.ARTIFACTS_URL
        ? new S3Objects({ endpoint: config.S3_ENDPOINT, region: config.S3_REGION, forcePathStyle: config.S3_FORCE_PATH_STYLE })
        : null,
    );
    const registry = new ProjectRegistry(store, {
      scope: { region: config.LFV_REGION, accountId: config.LFV_ACCOUNT_ID },
      buckets,
      maxProjects: config.MAX_PROJECTS,
      maxDatasetImages: config.MAX_DATASET_IMAGES,
      maxQueuedTrainings: config.MAX_QUEUED_TRAININGS,
      // Images uploaded through GraphQL live under projects/; everything else comes from a bucket or a named root.
      files: Object.freeze({
        roots: Object.freeze([join(dataDir, 'projects'), ...buckets.roots(), ...config.DATASET_ROOTS.map((f) => resolve(f))]),
        maxBytes: config.DATASET_MAX_FILE_BYTES,
      }),
    });
    const models = new ModelLifecycle(registry, pool, log, undefined, new TrainingRuns(state.leases, config.TRAINING_LEASE_MS, log), metrics);
    metrics.probeLoad(() => ({ queueDepth: pool.queueDepth, trainings: pool.trainings }));
    registry.follow((project, versions) => void models.reconcile(project, versions));
    await models.recover();
    projects = { registry, models, idempotency: new IdempotencyStore(state.tokens) };
    backend = new LocalBackend(pool, registry, models);
  }

  const cache: ResultCache = config.REDIS_URL
    ? new RedisCache(config.REDIS_URL, config.CACHE_KEY_PREFIX, config.REDIS_COMMAND_TIMEOUT_MS, log, () => metrics.redisErrors.inc())
    : new MemoryCache(config.CACHE_MAX_BYTES);
  // Pending uploads share the cache's Redis (any replica takes the PUT and the detection).
  const pendingUploads =
    cache instanceof RedisCache ? new RedisUploads(cache.client, config.CACHE_KEY_PREFIX) : new MemoryUploads(config.PENDING_UPLOADS_MAX_BYTES);
  const uploads = new ImageUploads(
    pendingUploads,
    { maxBytes: config.MAX_UPLOAD_BYTES, ttlSeconds: config.UPLOAD_URL_TTL_SECONDS, limits: imageLimits(config) },
    // Only the embedded engine keeps models in ARTIFACTS_URL; its uploads go there by presigned PUT
    // unless the storage is not reachable by clients (UPLOADS_VIA=gateway).
    uploadsToStorage(config)
      ? new S3UploadBytes(
          config.ARTIFACTS_URL!,
          { endpoint: config.S3_ENDPOINT, region: config.S3_REGION, forcePathStyle: config.S3_FORCE_PATH_STYLE },
          config.S3_PUBLIC_ENDPOINT,
        )
      : null,
    log,
  );

  let signer: MaskSigner;
  if (config.MASK_URL_KEYS) signer = new MaskSigner(config.MASK_URL_KEYS);
  else {
    log.warn('MASK_URL_KEYS is not set: mask URLs are signed with a random key of this process; replicas behind one address need a shared key');
    signer = MaskSigner.ephemeral();
  }
  const auth = createAuthenticator({
    apiKeys: new ApiKeys(config.API_KEYS ?? []),
    jwt: config.JWKS_URL ? new JwtVerifier({ jwksUrl: config.JWKS_URL, issuer: config.JWT_ISSUER!, audience: config.JWT_AUDIENCE! }) : null,
    adminToken: config.GRAPHQL_ADMIN_TOKEN,
    production: config.NODE_ENV === 'production',
  });
  announceAccess(config, log);
  const detections = new DetectionService(backend, cache, { ttlSeconds: config.CACHE_TTL_SECONDS, lockMs: config.SINGLE_FLIGHT_LOCK_MS, log, metrics });
  return {
    config,
    detections,
    projects,
    signer,
    log,
    uploads,
    metrics,
    uploadGate: new WorkQueue(config.UPLOAD_READ_CONCURRENCY, Number.MAX_SAFE_INTEGER),
    auth,
    async close() {
      await backend.close();
      await projects?.registry.close();
      uploads.close();
      await pendingUploads.close();
      await cache.close();
      await lock?.release();
    },
  };
}

function uploadsToStorage(config: Config): boolean {
  if (config.UPLOADS_VIA === 'gateway') return false;
  return !!config.ARTIFACTS_URL && config.BACKEND === 'local';
}

/** Who may call GraphQL, said once at start-up: an open gateway should never be a surprise. */
function announceAccess(config: Config, log: Logger): void {
  const credentials = [
    config.API_KEYS?.length ? `${config.API_KEYS.length} API key(s)` : null,
    config.JWKS_URL ? `JWTs from ${config.JWT_ISSUER}` : null,
    config.GRAPHQL_ADMIN_TOKEN ? 'GRAPHQL_ADMIN_TOKEN' : null,
  ].filter(Boolean);
  if (config.NODE_ENV === 'production') {
    if (!credentials.length)
      log.warn('GraphQL has no credentials configured (API_KEYS, JWKS_URL, GRAPHQL_ADMIN_TOKEN): in production every GraphQL call is refused until one is set');
    else log.info({ credentials }, 'GraphQL calls need a credential');
  } else if (!credentials.length) {
    log.warn(
      'GraphQL is OPEN: development mode with no credentials configured, so anyone who reaches this port may detect, read and manage models. Set API_KEYS (or NODE_ENV=production) before exposing it.',
    );
  } else log.warn({ credentials }, 'GraphQL detection and reads are open to anonymous callers in development; management needs an admin credential');
  if (!config.PUBLIC_BASE_URL) log.warn("PUBLIC_BASE_URL is not set: mask URLs are built on each request's Host header (development only)");
}
