import DataLoader from 'dataloader';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticate';
import type { Principal } from '../auth/principal';
import type { Config } from '../config';
import type { ModelInfo } from '../detection/backends/backend';
import type { DetectionService, StoredDetection } from '../detection/detection-service';
import type { ImageUploads } from '../detection/uploads/image-uploads';
import type { Metrics } from '../lib/metrics';
import type { WorkQueue } from '../lib/work-queue';
import type { MaskSigner } from '../masks/mask-signer';
import type { IdempotencyStore } from '../projects/idempotency';
import type { ModelLifecycle } from '../projects/model-lifecycle';
import type { ProjectRegistry } from '../projects/registry';

/** Projects, datasets and model lifecycles: the embedded engine's (null with another backend). */
export interface ProjectServices {
  registry: ProjectRegistry;
  models: ModelLifecycle;
  idempotency: IdempotencyStore;
}

/** Long-lived services, built once at start-up. */
export interface Services {
  config: Config;
  detections: DetectionService;
  projects: ProjectServices | null;
  signer: MaskSigner;
  log: Logger;
  /** Images sent out of band (createImageUpload, then a PUT), waiting for their detection. */
  uploads: ImageUploads;
  /** Bounds how many uploads are read into memory at once. */
  uploadGate: WorkQueue;
  /** Prometheus metrics of this gateway (served at /metrics). */
  metrics: Metrics;
  /** Who a request's credential names (API key, JWT, admin token). */
  auth: Authenticator;
}

/** Per-request state: loaders must not outlive a request, or one client's view leaks to another. */
export interface GraphQLContext {
  services: Services;
  log: Logger;
  /** Origin that mask URLs are built on (PUBLIC_BASE_URL, or the request's own). */
  baseUrl: string;
  models: DataLoader<string, ModelInfo | null>;
  /** Cached detections by id: a router asking for fifty entities reads each once. */
  detections: DataLoader<string, StoredDetection | null>;
  signal?: AbortSignal;
  /** Who is calling (null: nobody, refused everywhere); resolvers check its scopes. */
  principal: Principal | null;
  /** Bytes the request's connection has delivered so far (uploads must keep arriving). */
  bytesReceived?: () => number;
}

export const modelKey = (projectName: string, version: string) => `${projectName}\u0000${version}`;

export function createContext(
  services: Services,
  options: { baseUrl: string; principal: Principal | null; log?: Logger; signal?: AbortSignal; bytesReceived?: () => number },
): GraphQLContext {
  const { detections } = services;
  return {
    services,
    log: options.log ?? services.log,
    baseUrl: services.config.PUBLIC_BASE_URL?.replace(/\/$/, '') ?? options.baseUrl,
    signal: options.signal,
    principal: options.principal,
    bytesReceived: options.bytesReceived,
    // Resolving a model reads its header; a response that names one model fifty times reads it once.
    models: new DataLoader(async (keys) =>
      Promise.all(
        keys.map((k) => {
          const [project, version] = k.split('\u0000');
          return detections.backend.describeModel(project, version);
        }),
      ),
    ),
    detections: new DataLoader(async (ids) => Promise.all(ids.map((id) => detections.get(id)))),
  };
}
