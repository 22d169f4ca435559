import { mayOnProject, requireOnProject } from '../../auth/principal';
import { isDetectionId } from '../../detection/detection-id';
import type { QueryResolvers } from '../__generated__/resolvers-types';

/**
 * Reads need `read:<project>` (or `read:*`, or admin). Lists show only what the caller may read;
 * a single project, model or detection the caller may not read answers null, as an unknown one
 * does, so the answer does not tell whether it exists (the schema's one not-found rule).
 */
export const Query: QueryResolvers = {
  async projects(_p, _a, ctx) {
    return (await ctx.services.detections.backend.listProjects()).filter((name) => mayOnProject(ctx.principal, 'read', name)).map((name) => ({ name }));
  },
  models(_p, { projectName }, ctx) {
    requireOnProject(ctx.principal, 'read', projectName);
    return ctx.services.detections.backend.listModels(projectName);
  },
  model(_p, { projectName, version }, ctx) {
    if (!mayOnProject(ctx.principal, 'read', projectName)) return null;
    return ctx.services.detections.backend.describeModel(projectName, version);
  },
  async project(_p, { name }, ctx) {
    if (!mayOnProject(ctx.principal, 'read', name)) return null;
    return (await ctx.services.detections.backend.listProjects()).includes(name) ? { name } : null;
  },
  async detection(_p, { id }, ctx) {
    if (!isDetectionId(id)) return null;
    const detection = await ctx.detections.load(id);
    return detection && mayOnProject(ctx.principal, 'read', detection.projectName) ? { detection, cached: true } : null;
  },
};
