import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../errors';
import { modelHeaderSchema, type ModelHeader } from '../../engine/model/model-header';
import type { ModelInfo } from './backend';

/**
 * Models of the embedded engine on disk: `<DATA_DIR>/projects/<project>/models/<version>/`, each a
 * model directory the engine wrote. Versions are whole numbers; `latest` is the highest.
 */

export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;

export function projectDir(dataDir: string, project: string): string {
  return join(dataDir, 'projects', project);
}

export function modelDir(dataDir: string, project: string, version: string): string {
  return join(projectDir(dataDir, project), 'models', version);
}

async function list(dir: string): Promise<string[] | null> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function listProjects(dataDir: string): Promise<string[]> {
  return ((await list(join(dataDir, 'projects'))) ?? []).filter((n) => NAME_PATTERN.test(n)).sort();
}

export async function listVersions(dataDir: string, project: string): Promise<string[] | null> {
  if (!NAME_PATTERN.test(project)) return null;
  const names = await list(join(projectDir(dataDir, project), 'models'));
  return names && names.filter((n) => /^[1-9][0-9]*$/.test(n)).sort((a, b) => Number(b) - Number(a));
}

export async function readHeader(dataDir: string, project: string, version: string): Promise<ModelHeader | null> {
  try {
    const parsed = modelHeaderSchema.safeParse(JSON.parse(await readFile(join(modelDir(dataDir, project, version), 'model.json'), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function toModelInfo(project: string, version: string, h: ModelHeader | null): ModelInfo {
  if (!h) return { projectName: project, version, status: 'TRAINING_FAILED', type: 'CLASSIFICATION', createdAt: null, performance: null, anomalyTypes: [] };
  return {
    projectName: project,
    version,
    // The embedded engine serves every trained model on demand; hosting states arrive with the
    // Lookout for Vision lifecycle.
    status: 'HOSTED',
    type: h.segmentation ? 'SEGMENTATION' : 'CLASSIFICATION',
    createdAt: new Date(h.createdAt),
    performance: {
      f1Score: h.metrics.f1,
      precision: h.metrics.precision,
      recall: h.metrics.recall,
      imageAuroc: h.metrics.imageAuroc,
      pixelAuroc: h.metrics.pixelAuroc,
      testNormalImages: h.metrics.testImages.normal,
      testAnomalyImages: h.metrics.testImages.anomaly,
    },
    anomalyTypes: h.segmentation?.classes ?? [],
  };
}

export function notFound(project: string, version?: string): AppError {
  return version === undefined
    ? new AppError('MODEL_NOT_FOUND', `There is no project "${project}".`, { projectName: project })
    : new AppError('MODEL_NOT_FOUND', `Project "${project}" has no model version "${version}".`, { projectName: project, modelVersion: version });
}
