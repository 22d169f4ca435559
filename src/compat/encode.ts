import type { ModelHeader } from '../engine/model/model-header';
import type { ProjectState } from '../projects/project-store';
import type { DatasetRecord, ModelRecord } from '../projects/records';
import { modelArn, projectArn, type ArnScope } from '../projects/resources';

/**
 * Records -> the service's response shapes. Timestamps are epoch seconds as JSON numbers (the
 * restJson1 default for the service's timestamps); optional members that have no value are
 * left out rather than sent as null, which some SDKs would reject as a wrong type.
 */

export const seconds = (ms: number) => ms / 1000;

export function projectMetadata(scope: ArnScope, s: ProjectState) {
  return { ProjectArn: projectArn(scope, s.project.name), ProjectName: s.project.name, CreationTimestamp: seconds(s.project.createdAt) };
}

export function datasetMetadata(d: DatasetRecord) {
  return { DatasetType: d.type, CreationTimestamp: seconds(d.createdAt), Status: d.status, StatusMessage: d.statusMessage };
}

function performance(h: ModelHeader | null) {
  if (!h) return undefined;
  const p: Record<string, number> = {};
  if (h.metrics.f1 !== null) p.F1Score = h.metrics.f1;
  if (h.metrics.recall !== null) p.Recall = h.metrics.recall;
  if (h.metrics.precision !== null) p.Precision = h.metrics.precision;
  return p;
}

export function modelMetadata(scope: ArnScope, project: string, m: ModelRecord, h: ModelHeader | null) {
  return compact({
    CreationTimestamp: seconds(m.createdAt),
    ModelVersion: m.version,
    ModelArn: modelArn(scope, project, m.version),
    Description: m.description,
    Status: m.status,
    StatusMessage: m.statusMessage,
    Performance: performance(h),
  });
}

export function modelDescription(scope: ArnScope, project: string, m: ModelRecord, h: ModelHeader | null) {
  return compact({
    ...modelMetadata(scope, project, m, h),
    OutputConfig: { S3Location: compact({ Bucket: m.outputConfig.bucket, Prefix: m.outputConfig.prefix }) },
    EvaluationManifest: m.evaluation?.manifest ? { Bucket: m.evaluation.manifest.bucket, Key: m.evaluation.manifest.key } : undefined,
    EvaluationResult: m.evaluation ? { Bucket: m.evaluation.result.bucket, Key: m.evaluation.result.key } : undefined,
    EvaluationEndTimestamp: m.evaluation ? seconds(m.evaluation.endedAt) : undefined,
    KmsKeyId: m.kmsKeyId,
    MinInferenceUnits: m.minInferenceUnits,
    MaxInferenceUnits: m.maxInferenceUnits,
  });
}

export const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
}
