import DataLoader from 'dataloader';
import { isAppError } from '../../errors';
import type { ImageInput } from '../../detection/image-input';
import type { DetectionOutcome } from '../../detection/detection-service';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import type { GraphQLContext } from '../context';
import { toGraphQLError } from '../errors';
import { readUpload } from './upload';

export const Mutation: MutationResolvers = {
  async detectAnomalies(_parent, { input }, ctx) {
    const image = await readUpload(input.image, ctx);
    return ctx.services.detections.detect(image, input.projectName, input.modelVersion ?? 'latest', ctx.signal);
  },

  async detectAnomaliesBatch(_parent, { input }, ctx) {
    const version = input.modelVersion ?? 'latest';
    // Fail fast on the model, once for the whole batch, before reading any file.
    await ctx.services.detections.resolveModel(input.projectName, version);
    const loader = batchLoader(ctx, input.projectName, version);
    const uploads = await Promise.all(input.images);
    return Promise.all(
      uploads.map(async (upload, index) => {
        try {
          const image = await readUpload(upload, ctx);
          return { index, result: await loader.load(image), error: null };
        } catch (err) {
          if (!isAppError(err)) throw toGraphQLError(err);
          return { index, result: null, error: { code: err.code, message: err.message } };
        }
      }),
    );
  },
};

/**
 * Identical images in one batch become one detection (DataLoader de-duplicates by sha256), and
 * at most BATCH_CONCURRENCY detections of a request run at once, so one large batch cannot
 * monopolise the backend.
 */
function batchLoader(ctx: GraphQLContext, projectName: string, version: string) {
  const limit = ctx.services.config.BATCH_CONCURRENCY;
  return new DataLoader<ImageInput, DetectionOutcome, string>(
    async (images) => {
      const results: (DetectionOutcome | Error)[] = new Array(images.length);
      let next = 0;
      const worker = async () => {
        while (next < images.length) {
          const i = next++;
          try {
            results[i] = await ctx.services.detections.detect(images[i], projectName, version, ctx.signal);
          } catch (err) {
            results[i] = err as Error;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(limit, images.length) }, worker));
      return results;
    },
    { cacheKeyFn: (image) => image.sha256 },
  );
}
