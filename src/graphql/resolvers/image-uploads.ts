import { requireOnProject } from '../../auth/principal';
import { AppError } from '../../errors';
import type { ImageInput } from '../../detection/image-input';
import { uploadPath } from '../../masks/mask-paths';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import type { GraphQLContext } from '../context';
import { readUpload } from './upload';

/**
 * createImageUpload: JSON in, a signed PUT URL out. Only the caller's credential and the image's
 * declared type and size cross the router; the bytes go straight to the gateway, or to the model
 * storage when models live in S3.
 */
export const createImageUpload: NonNullable<MutationResolvers['createImageUpload']> = async (_parent, { input }, ctx) => {
  requireOnProject(ctx.principal, 'detect', input.projectName);
  const { upload, presignedUrl } = await ctx.services.uploads.create(ctx.principal!.name, input);
  const expiresAt = new Date(upload.expiresAt);
  const path = uploadPath(upload.id);
  return {
    uploadId: upload.id,
    // With models in S3 the bytes go straight there; otherwise to this gateway (any replica).
    uploadUrl: presignedUrl ?? `${ctx.baseUrl}${path}?${ctx.services.signer.sign(path, expiresAt, 'PUT')}`,
    method: 'PUT',
    contentType: upload.contentType,
    byteLength: upload.byteLength,
    expiresAt,
  };
};

/** One image named either way: a multipart file, or an upload id (used once, by its owner). */
export type ImageSource = { file: Parameters<typeof readUpload>[0] } | { uploadId: string };

export function imageSource(file: Parameters<typeof readUpload>[0] | null | undefined, uploadId: string | null | undefined): ImageSource {
  if ((file == null) === (uploadId == null))
    throw new AppError('BAD_USER_INPUT', 'Give the image either as `image` (a multipart file) or as `uploadId`, not both.');
  return file != null ? { file } : { uploadId: uploadId! };
}

export function imageSources(
  files: readonly Parameters<typeof readUpload>[0][] | null | undefined,
  uploadIds: readonly string[] | null | undefined,
): ImageSource[] {
  if ((files == null) === (uploadIds == null))
    throw new AppError('BAD_USER_INPUT', 'Give the images either as `images` (multipart files) or as `uploadIds`, not both.');
  return files != null ? files.map((file) => ({ file })) : uploadIds!.map((uploadId) => ({ uploadId }));
}

/** Runs `detect` on the image; an uploaded image is consumed only when the detection settles for good. */
export async function withImage<T>(source: ImageSource, projectName: string, ctx: GraphQLContext, detect: (image: ImageInput) => Promise<T>): Promise<T> {
  if ('file' in source) return detect(await readUpload(source.file, ctx));
  return ctx.services.uploads.use(source.uploadId, ctx.principal!.name, projectName, detect);
}
