import { mayOnProject } from '../../auth/principal';
import { isDetectionId } from '../../detection/detection-id';
import { maskPath, picturePath } from '../../masks/mask-paths';
import { imageStats } from '../../projects/datasets';
import { modelNotFound } from '../../projects/resources';
import type { AnomalyResolvers, DatasetResolvers, DetectionResultResolvers, ModelResolvers, ProjectResolvers } from '../__generated__/resolvers-types';
import { modelKey, type GraphQLContext } from '../context';
import type { MaskParent } from '../mappers';

export const DetectionResult: DetectionResultResolvers = {
  async __resolveReference(ref, ctx) {
    if (!isDetectionId(ref.id)) return null;
    const detection = await ctx.detections.load(ref.id);
    return detection && mayOnProject(ctx.principal, 'read', detection.projectName) ? { detection, cached: true } : null;
  },
  id: (p) => p.detection.id,
  imageSha256: (p) => p.detection.imageSha256,
  source: () => ({ type: 'direct' }),
  isAnomalous: (p) => p.detection.isAnomalous,
  confidence: (p) => p.detection.confidence,
  cached: (p) => p.cached,
  anomalies: (p) => p.detection.anomalies?.map((a) => ({ detection: p.detection, ...a })) ?? null,
  anomalyMask: (p, _a, ctx) => (p.detection.mask ? signedMask(ctx, p.detection.id, 'all', p.detection.mask) : null),
  heatMap: (p, _a, ctx) =>
    p.detection.heat
      ? signedPicture(ctx, picturePath(p.detection.id, 'heatmap'), { width: p.detection.heat.width, height: p.detection.heat.height }, 'image/png')
      : null,
  overlay: (p, _a, ctx) => (p.detection.preview ? signedPicture(ctx, picturePath(p.detection.id, 'overlay'), p.detection.preview, 'image/jpeg') : null),
  async model(p, _a, ctx) {
    const model = await ctx.models.load(modelKey(p.detection.projectName, p.detection.version));
    // A model deleted since the detection was cached is still the one that answered.
    if (!model) throw modelNotFound(p.detection.projectName, p.detection.version);
    return model;
  },
};

export const Anomaly: AnomalyResolvers = {
  name: (a) => a.name,
  pixelAnomaly: (a) => ({ totalPercentageArea: a.totalPercentageArea, color: a.color }),
  mask: (a, _a, ctx) => (a.name === 'background' || !a.detection.mask ? null : signedMask(ctx, a.detection.id, a.name, a.detection.mask)),
};

/** URLs are signed when a response is written: the cached result lives longer than any URL. */
function signedMask(ctx: GraphQLContext, detectionId: string, name: string, size: { width: number; height: number }): MaskParent {
  return signedPicture(ctx, maskPath(detectionId, name), size, 'image/png');
}

function signedPicture(ctx: GraphQLContext, path: string, size: { width: number; height: number }, contentType: string): MaskParent {
  const expiresAt = new Date((Math.floor(Date.now() / 1000) + ctx.services.config.MASK_URL_TTL_SECONDS) * 1000);
  return { url: `${ctx.baseUrl}${path}?${ctx.services.signer.sign(path, expiresAt)}`, expiresAt, width: size.width, height: size.height, contentType };
}

export const Model: ModelResolvers = {
  __resolveReference(ref, ctx) {
    if (!mayOnProject(ctx.principal, 'read', ref.projectName)) return null;
    return ctx.models.load(modelKey(ref.projectName, ref.version));
  },
  async training(m, _a, ctx) {
    const lifecycle = ctx.services.projects?.models;
    if (m.status !== 'TRAINING' || !lifecycle) return null;
    const p = await lifecycle.trainingProgress(m.projectName, m.version);
    return p ? { ...p, startedAt: new Date(p.startedAt) } : { stage: 'waiting', done: 0, total: 0, startedAt: null };
  },
};

export const Project: ProjectResolvers = {
  __resolveReference: (ref, ctx) => (mayOnProject(ctx.principal, 'read', ref.name) ? { name: ref.name } : null),
  models: (p, _a, ctx) => ctx.services.detections.backend.listModels(p.name),
  createdAt: (p, _a, ctx) => {
    const state = ctx.services.projects?.registry.find(p.name);
    return state ? new Date(state.project.createdAt) : null;
  },
  datasets: (p, _a, ctx) => [...(ctx.services.projects?.registry.find(p.name)?.datasets.values() ?? [])].map((record) => ({ projectName: p.name, record })),
};

export const Dataset: DatasetResolvers = {
  projectName: (d) => d.projectName,
  type: (d) => (d.record.type === 'test' ? 'TEST' : 'TRAIN'),
  status: (d) => d.record.status,
  statusMessage: (d) => d.record.statusMessage,
  createdAt: (d) => new Date(d.record.createdAt),
  updatedAt: (d) => new Date(d.record.updatedAt),
  imageStats: (d) => imageStats(d.record.entries),
};
