import {
  DescribeModelCommand,
  DetectAnomaliesCommand,
  ListProjectsCommand,
  LookoutVisionClient,
  paginateListModels,
  paginateListProjects,
  type ModelDescription,
  type ModelMetadata,
} from '@aws-sdk/client-lookoutvision';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { mimeOf, type ImageInput } from '../image-input';
import type { BackendDetection, DetectorBackend, ModelInfo, ModelStatus } from './backend';
import { fromLookoutVisionError } from './lookoutvision-errors';

export interface LookoutVisionBackendOptions {
  /** Any endpoint that speaks the service's protocol; unset: the AWS endpoint of the region. */
  endpoint?: string;
  region?: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxAttempts: number;
}

/**
 * Lookout for Vision through the AWS SDK (`@aws-sdk/client-lookoutvision` 3.918.0, its last
 * release). Credentials and region come from the standard AWS chain (environment, profile,
 * instance role). SDK timeouts are off by default and a request timeout only logs a warning, so
 * both are set here with `throwOnRequestTimeout`; retries use the `standard` mode.
 */
export class LookoutVisionBackend implements DetectorBackend {
  readonly id = 'lookoutvision';
  readonly client: LookoutVisionClient;

  constructor(options: LookoutVisionBackendOptions) {
    this.client = new LookoutVisionClient({
      endpoint: options.endpoint,
      region: options.region,
      retryMode: 'standard',
      maxAttempts: options.maxAttempts,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: options.connectTimeoutMs,
        requestTimeout: options.requestTimeoutMs,
        throwOnRequestTimeout: true,
      }),
    });
  }

  async listProjects(): Promise<string[]> {
    try {
      const names: string[] = [];
      for await (const page of paginateListProjects({ client: this.client }, {}))
        for (const p of page.Projects ?? []) if (p.ProjectName) names.push(p.ProjectName);
      return names.sort();
    } catch (err) {
      throw fromLookoutVisionError(err, 'ListProjects');
    }
  }

  async listModels(projectName: string): Promise<ModelInfo[]> {
    try {
      const models: ModelInfo[] = [];
      for await (const page of paginateListModels({ client: this.client }, { ProjectName: projectName })) {
        for (const m of page.Models ?? []) models.push(toModelInfo(projectName, m));
      }
      return models.sort((a, b) => Number(b.version) - Number(a.version));
    } catch (err) {
      throw fromLookoutVisionError(err, `ListModels ${projectName}`);
    }
  }

  async describeModel(projectName: string, version: string): Promise<ModelInfo | null> {
    try {
      const out = await this.client.send(new DescribeModelCommand({ ProjectName: projectName, ModelVersion: version }));
      return out.ModelDescription ? toModelInfo(projectName, out.ModelDescription) : null;
    } catch (err) {
      if ((err as { name?: string }).name === 'ResourceNotFoundException') return null;
      throw fromLookoutVisionError(err, `DescribeModel ${projectName}/${version}`);
    }
  }

  async detect(image: ImageInput, model: ModelInfo, signal?: AbortSignal): Promise<BackendDetection> {
    try {
      const out = await this.client.send(
        new DetectAnomaliesCommand({
          ProjectName: model.projectName,
          ModelVersion: model.version,
          Body: image.bytes,
          ContentType: mimeOf(image.header.format),
        }),
        { abortSignal: signal },
      );
      const r = out.DetectAnomalyResult ?? {};
      const result: BackendDetection = { isAnomalous: Boolean(r.IsAnomalous), confidence: r.Confidence ?? 0 };
      if (r.Anomalies) {
        result.anomalies = r.Anomalies.map((a) => ({
          name: a.Name ?? '',
          color: (a.PixelAnomaly?.Color ?? '#FFFFFF').toUpperCase(),
          totalPercentageArea: a.PixelAnomaly?.TotalPercentageArea ?? 0,
        }));
      }
      if (r.AnomalyMask?.length) {
        const png = Buffer.from(r.AnomalyMask);
        // Width and height from the PNG's IHDR; the service sends the mask at the input's size.
        result.mask = { png, width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
      }
      return result;
    } catch (err) {
      throw fromLookoutVisionError(err, `DetectAnomalies ${model.projectName}/${model.version}`);
    }
  }

  async ready(): Promise<{ ok: boolean; detail?: string }> {
    try {
      await this.client.send(new ListProjectsCommand({ MaxResults: 1 }));
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: fromLookoutVisionError(err, 'ListProjects').message };
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function toModelInfo(projectName: string, m: ModelMetadata | ModelDescription): ModelInfo {
  return {
    projectName,
    version: m.ModelVersion ?? '',
    status: (m.Status ?? 'TRAINED') as ModelStatus,
    statusMessage: m.StatusMessage ?? null,
    description: m.Description ?? null,
    // The service does not say which kind a model is; only its answers show it.
    type: null,
    createdAt: m.CreationTimestamp ?? null,
    performance: m.Performance
      ? {
          f1Score: m.Performance.F1Score ?? null,
          precision: m.Performance.Precision ?? null,
          recall: m.Performance.Recall ?? null,
          imageAuroc: null,
          pixelAuroc: null,
          testNormalImages: 0,
          testAnomalyImages: 0,
        }
      : null,
    anomalyTypes: [],
  };
}
