import { isDetectionId } from '../../detection/detection-id';
import type { QueryResolvers } from '../__generated__/resolvers-types';

export const Query: QueryResolvers = {
  async projects(_p, _a, ctx) {
    return (await ctx.services.detections.backend.listProjects()).map((name) => ({ name }));
  },
  models(_p, { projectName }, ctx) {
    return ctx.services.detections.backend.listModels(projectName);
  },
  model(_p, { projectName, version }, ctx) {
    return ctx.services.detections.backend.describeModel(projectName, version);
  },
  async project(_p, { name }, ctx) {
    return (await ctx.services.detections.backend.listProjects()).includes(name) ? { name } : null;
  },
  async detection(_p, { id }, ctx) {
    if (!isDetectionId(id)) return null;
    const detection = await ctx.detections.load(id);
    return detection && { detection, cached: true };
  },
};
