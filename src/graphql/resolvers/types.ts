import { mayOnProject } from '../../auth/principal';
import { isDetectionId } from '../../detection/detection-id';
import { maskPath, picturePath } from '../../masks/mask-paths';
import { describeEntry, imageStats } from '../../projects/datasets';
import { connection, decodeCursor, encodeCursor, pageOf, pageSize } from '../connections';
import { modelNotFound } from '../../projects/resources';
import type {
  AnomalyResolvers,
  DatasetResolvers,
  DatasetStatus,
  DetectionResultResolvers,
  ModelResolvers,
  ProjectResolvers,
} from '../__generated__/resolvers-types';
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
  async modelConnection(p, args, ctx) {
    // Newest first, so the models after a cursor are those of lower versions (a version deleted
    // since the cursor was handed out does not lose the reader's place).
    const models = await ctx.services.detections.backend.listModels(p.name);
    return pageOf(
      models,
      'model',
      args,
      (m) => m.version,
      (after) => {
        const i = models.findIndex((m) => Number(m.version) < Number(after));
        return i === -1 ? models.length : i;
      },
    );
  },
  async recentDetections(p, args, ctx) {
    const first = pageSize(args.first);
    const after = decodeCursor('detection', args.after);
    const r = await ctx.services.detections.recent(p.name, after, first);
    const edges = r.items.map(({ member, detection }) => ({
      cursor: encodeCursor('detection', member),
      node: { detection, cached: true },
      detectedAt: new Date(detection.createdAt),
    }));
    // The page's last member may have been evicted since: the next page still starts after it.
    return connection(edges, { hasNextPage: r.more, hasPreviousPage: after !== null, endCursor: r.last ? encodeCursor('detection', r.last) : null }, r.total);
  },
  createdAt: (p, _a, ctx) => {
    const state = ctx.services.projects?.registry.find(p.name);
    return state ? new Date(state.project.createdAt) : null;
  },
  datasets: (p, _a, ctx) => [...(ctx.services.projects?.registry.find(p.name)?.datasets.values() ?? [])].map((record) => ({ projectName: p.name, record })),
};

export const Dataset: DatasetResolvers = {
  projectName: (d) => d.projectName,
  type: (d) => (d.record.type === 'test' ? 'TEST' : 'TRAIN'),
  // Records hold Lookout for Vision's status names (the protocol path returns them as they are).
  status: (d) => d.record.status as DatasetStatus,
  statusMessage: (d) => d.record.statusMessage,
  createdAt: (d) => new Date(d.record.createdAt),
  updatedAt: (d) => new Date(d.record.updatedAt),
  imageStats: (d) => imageStats(d.record.entries),
  entries(d, args) {
    const wanted = args.label ? (args.label === 'NORMAL' ? 'normal' : 'anomaly') : null;
    const all = d.record.entries.map(describeEntry).filter((e) => !wanted || e.label === wanted);
    // The label is part of the cursor's kind: a cursor of the anomalies is not one of all images.
    return pageOf(
      all.map((e) => ({
        sourceRef: e.sourceRef,
        label: e.label === null ? null : e.label === 'normal' ? ('NORMAL' as const) : ('ANOMALY' as const),
        createdAt: new Date(e.createdAt),
        manifestLine: e.line,
      })),
      `entry-${wanted ?? 'all'}`,
      args,
      (_e, i) => String(i),
      (after) => Number(after) + 1,
    );
  },
};
