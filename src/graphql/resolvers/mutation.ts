import DataLoader from 'dataloader';
import { requireOnProject } from '../../auth/principal';
import { AppError, isAppError, type ErrorCode } from '../../errors';
import { WorkQueue } from '../../lib/work-queue';
import type { ImageInput } from '../../detection/image-input';
import type { DetectionOutcome } from '../../detection/detection-service';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import type { GraphQLContext } from '../context';
import { toGraphQLError } from '../errors';
import { managementMutations } from './management';
import { createImageUpload, imageSource, imageSources, withImage } from './image-uploads';
import { readUpload } from './upload';

/**
 * AUTOSTART_MODELS: a detection with a stopped (TRAINED) model starts it and waits, so a
 * front-end need not manage hosting. Unknown models fall through to the detection's own error.
 */
async function startIfStopped(ctx: GraphQLContext, projectName: string, version: string): Promise<void> {
  const { projects, config } = ctx.services;
  if (!projects || !config.AUTOSTART_MODELS) return;
  try {
    await projects.models.ensureHosted(projectName, version);
  } catch (err) {
    if (!isAppError(err) || (err.code !== 'MODEL_NOT_FOUND' && err.code !== 'PROJECT_NOT_FOUND')) throw err;
  }
}

export const Mutation: MutationResolvers = {
  ...managementMutations,

  async detectAnomalies(_parent, { input }, ctx) {
    requireOnProject(ctx.principal, 'detect', input.projectName);
    const source = imageSource(input.image, input.uploadId);
    await startIfStopped(ctx, input.projectName, input.modelVersion ?? 'latest');
    return withImage(source, input.projectName, ctx, (image) =>
      ctx.services.detections.detect(image, input.projectName, input.modelVersion ?? 'latest', ctx.signal),
    );
  },

  createImageUpload,

  async detectAnomaliesBatch(_parent, { input }, ctx) {
    requireOnProject(ctx.principal, 'detect', input.projectName);
    const version = input.modelVersion ?? 'latest';
    await startIfStopped(ctx, input.projectName, version);
    // Fail fast on the model, once for the whole batch, before reading any file.
    await ctx.services.detections.resolveModel(input.projectName, version);
    const sources = imageSources(input.images, input.uploadIds);
    if (sources.length > ctx.services.config.MAX_UPLOAD_FILES)
      throw new AppError('BAD_USER_INPUT', `A batch takes at most ${ctx.services.config.MAX_UPLOAD_FILES} images.`, {
        maxImages: ctx.services.config.MAX_UPLOAD_FILES,
      });
    const loader = batchLoader(ctx, input.projectName, version);
    const settle = (index: number, detection: Promise<DetectionOutcome>): Promise<BatchOutcome> =>
      detection.then(
        (result) => ({ index, result, error: null }),
        (err: unknown) => {
          if (!isAppError(err)) throw toGraphQLError(err);
          return { index, result: null, error: { code: err.code, message: err.message } };
        },
      );
    // Multipart files arrive one after another in the body, so they are read in that order (a
    // later file's bytes only flow once the earlier ones are consumed); uploads are taken at
    // once. Detections then run concurrently through the loader.
    const pending: Promise<BatchOutcome>[] = [];
    for (let index = 0; index < sources.length; index++) {
      const source = sources[index];
      if ('uploadId' in source) {
        pending.push(
          settle(
            index,
            withImage(source, input.projectName, ctx, (image) => loader.load(image)),
          ),
        );
        continue;
      }
      let image: ImageInput;
      try {
        image = await readUpload(source.file, ctx);
      } catch (err) {
        if (!isAppError(err)) throw toGraphQLError(err);
        pending.push(Promise.resolve({ index, result: null, error: { code: err.code, message: err.message } }));
        continue;
      }
      pending.push(settle(index, loader.load(image)));
    }
    return Promise.all(pending);
  },
};

type BatchOutcome = { index: number; result: DetectionOutcome | null; error: { code: ErrorCode; message: string } | null };

/**
 * Identical images in one batch become one detection (DataLoader de-duplicates by sha256), and
 * at most BATCH_CONCURRENCY detections of a request run at once, so one large batch cannot
 * monopolise the backend.
 */
function batchLoader(ctx: GraphQLContext, projectName: string, version: string) {
  const gate = new WorkQueue(ctx.services.config.BATCH_CONCURRENCY, Number.MAX_SAFE_INTEGER);
  return new DataLoader<ImageInput, DetectionOutcome, string>(
    async (images) =>
      Promise.all(images.map((image) => gate.run(() => ctx.services.detections.detect(image, projectName, version, ctx.signal)).catch((err: Error) => err))),
    { cacheKeyFn: (image) => image.sha256 },
  );
}
