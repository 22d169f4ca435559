import { AppError } from '../errors';

/**
 * Resource names and the errors that name them. Lookout for Vision's ConflictException and
 * ResourceNotFoundException carry the resource's type and id; every layer passes them on.
 */

export type ResourceType = 'PROJECT' | 'DATASET' | 'MODEL';

export interface ArnScope {
  region: string;
  accountId: string;
}

export const projectArn = (s: ArnScope, project: string) => `arn:aws:lookoutvision:${s.region}:${s.accountId}:project/${project}`;
export const modelArn = (s: ArnScope, project: string, version: string) => `arn:aws:lookoutvision:${s.region}:${s.accountId}:model/${project}/${version}`;

/** The project (and model version) an ARN of this gateway names, or null. */
export function parseArn(s: ArnScope, arn: string): { project: string; version: string | null } | null {
  const prefix = `arn:aws:lookoutvision:${s.region}:${s.accountId}:`;
  if (!arn.startsWith(prefix)) return null;
  const rest = arn.slice(prefix.length);
  const p = /^project\/([a-zA-Z0-9][a-zA-Z0-9_-]{0,254})$/.exec(rest);
  if (p) return { project: p[1], version: null };
  const m = /^model\/([a-zA-Z0-9][a-zA-Z0-9_-]{0,254})\/([1-9][0-9]{0,9})$/.exec(rest);
  return m ? { project: m[1], version: m[2] } : null;
}

export function projectNotFound(project: string): AppError {
  return new AppError('PROJECT_NOT_FOUND', `The project ${project} does not exist.`, { resourceType: 'PROJECT', resourceId: project });
}

export function datasetNotFound(project: string, type: string): AppError {
  return new AppError('DATASET_NOT_FOUND', `The project ${project} has no ${type} dataset.`, { resourceType: 'DATASET', resourceId: `${project}/${type}` });
}

export function modelNotFound(project: string, version: string): AppError {
  return new AppError('MODEL_NOT_FOUND', `The project ${project} has no model version ${version}.`, {
    resourceType: 'MODEL',
    resourceId: `${project}/${version}`,
    projectName: project,
    modelVersion: version,
  });
}

export function conflict(type: ResourceType, id: string, message: string): AppError {
  return new AppError('RESOURCE_CONFLICT', message, { resourceType: type, resourceId: id });
}
