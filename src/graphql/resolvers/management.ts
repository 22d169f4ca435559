import type { FileUpload } from 'graphql-upload-minimal';
import { AppError } from '../../errors';
import { checkShare } from '../../engine/dataset/folder-layout';
import { MAX_IMPORT_BYTES } from '../../engine/imported/import-model';
import { modelInfo } from '../../detection/backends/model-info';
import { storeImages, type LabelledImage } from '../../projects/image-files';
import { VERSION_PATTERN } from '../../projects/project-store';
import type { DatasetRecord, DatasetType as StoredType } from '../../projects/records';
import { ORIENTATION_TAG, SENSITIVITY_TAG } from '../../projects/training-options';
import type { DatasetType, MutationResolvers } from '../__generated__/resolvers-types';
import { requireAdmin } from '../admin';
import type { GraphQLContext } from '../context';
import { readUpload, readUploadBytes } from './upload';

/**
 * Projects, datasets and models over GraphQL: thin calls into the same registry and lifecycle
 * the Lookout for Vision endpoint uses, so the two faces never disagree.
 */

const stored = (t: DatasetType | null | undefined): StoredType => (t === 'TEST' ? 'test' : 'train');
const DESCRIPTION = /^[0-9A-Za-z.\-_]{1,500}$/;

async function labelled(
  ctx: GraphQLContext,
  normal: readonly Promise<FileUpload>[] | null | undefined,
  anomaly: readonly Promise<FileUpload>[] | null | undefined,
): Promise<LabelledImage[]> {
  const out: LabelledImage[] = [];
  // In body order: a later file's bytes only arrive once the earlier ones are read.
  for (const [label, uploads] of [
    ['normal', normal ?? []],
    ['anomaly', anomaly ?? []],
  ] as const) {
    for (const u of uploads) {
      const img = await readUpload(u, ctx);
      out.push({ bytes: img.bytes, sha256: img.sha256, format: img.header.format, label });
    }
  }
  return out;
}

async function readText(upload: Promise<FileUpload>, ctx: GraphQLContext): Promise<string> {
  const { bytes } = await readUploadBytes(await upload, ctx);
  return bytes.toString('utf8');
}

function s3Url(url: string, field = 'manifestUrl'): { bucket: string; key: string } {
  const m = /^s3:\/\/([0-9A-Za-z.\-_]{3,63})\/(.+)$/.exec(url);
  if (!m) throw new AppError('BAD_USER_INPUT', `${field} must look like s3://bucket/key; got "${url.slice(0, 200)}".`);
  return { bucket: m[1], key: m[2] };
}

function s3Folder(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([0-9A-Za-z.\-_]{3,63})\/(.*)$/.exec(url);
  if (!m) throw new AppError('BAD_USER_INPUT', `folderUrl must look like s3://bucket/prefix/; got "${url.slice(0, 200)}".`);
  return { bucket: m[1], key: m[2] };
}

function parseMetadata(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('MODEL_IMPORT_INVALID', 'The metadata file is not valid JSON.');
  }
}

const datasetParent = (projectName: string, record: DatasetRecord) => ({ projectName, record });

/**
 * A mutation's `input` object, or its deprecated positional arguments (kept for one release):
 * one of the two, whole.
 */
function inputOf<T extends object>(field: string, input: T | null | undefined, legacy: { [K in keyof T]: T[K] | null | undefined }): T {
  const given = Object.entries(legacy).filter(([, v]) => v != null);
  if (input && given.length) throw new AppError('BAD_USER_INPUT', `Give ${field} its \`input\` object or the deprecated arguments, not both.`);
  if (input) return input;
  const missing = Object.keys(legacy).filter((k) => legacy[k as keyof T] == null);
  if (missing.length) throw new AppError('BAD_USER_INPUT', `${field} needs \`input: { ${Object.keys(legacy).join(', ')} }\` (missing ${missing.join(', ')}).`);
  return legacy as T;
}

export const managementMutations: MutationResolvers = {
  async createProject(_p, args, ctx) {
    const { name } = inputOf('createProject', args.input, { name: args.name });
    const state = await requireAdmin(ctx).registry.createProject(name);
    return { name: state.project.name };
  },

  async deleteProject(_p, args, ctx) {
    const { name } = inputOf('deleteProject', args.input, { name: args.name });
    return requireAdmin(ctx).registry.deleteProject(name);
  },

  async createDataset(_p, { input }, ctx) {
    const { registry } = requireAdmin(ctx);
    const type = stored(input.type);
    const kinds = [
      input.normalImages?.length || input.anomalyImages?.length ? 'images' : null,
      input.manifest ? 'manifest' : null,
      input.manifestUrl ? 'manifestUrl' : null,
      input.folderUrl ? 'folderUrl' : null,
    ].filter(Boolean);
    if (input.defectsInTraining != null && !input.folderUrl) throw new AppError('BAD_USER_INPUT', 'defectsInTraining goes with folderUrl.');
    const defectsInTraining = input.folderUrl ? checkShare(input.defectsInTraining, 'defectsInTraining') : undefined;
    if (kinds.length > 1) throw new AppError('BAD_USER_INPUT', `Give one source for the dataset, not ${kinds.join(' and ')}.`);
    // Fail before reading any upload when the dataset cannot be made.
    registry.assertNoDataset(input.projectName, type);
    const dataDir = registry.dataDir;
    let record: DatasetRecord;
    if (input.folderUrl) record = await registry.createDataset(input.projectName, type, { folder: s3Folder(input.folderUrl), defectsInTraining });
    else if (input.manifestUrl) record = await registry.createDataset(input.projectName, type, s3Url(input.manifestUrl));
    else if (input.manifest) record = await registry.createDataset(input.projectName, type, { text: await readText(input.manifest, ctx), base: dataDir });
    else if (kinds.length) {
      const images = await labelled(ctx, input.normalImages, input.anomalyImages);
      record = await storeImages(
        dataDir,
        input.projectName,
        images,
        (text) => registry.createDataset(input.projectName, type, { text, base: dataDir }),
        (file, bytes) => registry.publishImage(input.projectName, file, bytes),
      );
    } else record = await registry.createDataset(input.projectName, type, null);
    return datasetParent(input.projectName, record);
  },

  async addDatasetImages(_p, { input }, ctx) {
    const { registry } = requireAdmin(ctx);
    const type = stored(input.type);
    registry.dataset(input.projectName, type);
    const images = await labelled(ctx, input.normalImages, input.anomalyImages);
    if (!images.length) throw new AppError('BAD_USER_INPUT', 'Give at least one image in normalImages or anomalyImages.');
    const dataDir = registry.dataDir;
    return datasetParent(
      input.projectName,
      await storeImages(
        dataDir,
        input.projectName,
        images,
        (text) => registry.updateEntries(input.projectName, type, text, dataDir),
        (file, bytes) => registry.publishImage(input.projectName, file, bytes),
      ),
    );
  },

  async deleteDataset(_p, args, ctx) {
    const { projectName, type } = inputOf('deleteDataset', args.input, { projectName: args.projectName, type: args.type });
    await requireAdmin(ctx).registry.deleteDataset(projectName, stored(type));
    return true;
  },

  async trainModel(_p, { input }, ctx) {
    const { models } = requireAdmin(ctx);
    if (input.description != null && !DESCRIPTION.test(input.description))
      throw new AppError('BAD_USER_INPUT', 'description must be 1-500 letters, digits, ".", "-" or "_".');
    // Evaluation output goes where an unmapped Lookout for Vision bucket would: under DATA_DIR.
    // Stored as the tag protocol clients would send, so both entrances train alike.
    const tags: Record<string, string> = input.orientation ? { [ORIENTATION_TAG]: input.orientation.toLowerCase() } : {};
    const m = await models.create(input.projectName, {
      description: input.description ?? null,
      outputConfig: { bucket: 'lookout-gateway', prefix: 'evaluations/' },
      kmsKeyId: null,
      tags,
    });
    return modelInfo(models, input.projectName, m);
  },

  async importModel(_p, { input }, ctx) {
    const { models, registry } = requireAdmin(ctx);
    if (input.description != null && !DESCRIPTION.test(input.description))
      throw new AppError('BAD_USER_INPUT', 'description must be 1-500 letters, digits, ".", "-" or "_".');
    if (!input.model === !input.modelUrl) throw new AppError('BAD_USER_INPUT', 'Give the export as `model` (an upload) or `modelUrl`, one of them.');
    if (input.metadata && input.metadataUrl) throw new AppError('BAD_USER_INPUT', 'Give the metadata as `metadata` or `metadataUrl`, not both.');
    registry.project(input.projectName);
    const onnx = input.model
      ? (await readUploadBytes(await input.model, ctx)).bytes
      : await registry.readObject(s3Url(input.modelUrl!, 'modelUrl'), MAX_IMPORT_BYTES, 'model');
    const metadataText = input.metadata
      ? await readText(input.metadata, ctx)
      : input.metadataUrl
        ? (await registry.readObject(s3Url(input.metadataUrl, 'metadataUrl'), 1024 * 1024, 'metadata')).toString('utf8')
        : null;
    const m = await models.importModel(input.projectName, { onnx, metadata: parseMetadata(metadataText), description: input.description ?? null });
    return modelInfo(models, input.projectName, m);
  },

  async startModel(_p, args, ctx) {
    const { projectName, version } = inputOf('startModel', args.input, { projectName: args.projectName, version: args.version });
    const { models } = requireAdmin(ctx);
    await models.start(projectName, version);
    return modelInfo(models, projectName, models.model(projectName, version));
  },

  async stopModel(_p, args, ctx) {
    const { projectName, version } = inputOf('stopModel', args.input, { projectName: args.projectName, version: args.version });
    const { models } = requireAdmin(ctx);
    await models.stop(projectName, version);
    return modelInfo(models, projectName, models.model(projectName, version));
  },

  async setModelSensitivity(_p, args, ctx) {
    const { projectName, version, sensitivity } = inputOf('setModelSensitivity', args.input, {
      projectName: args.projectName,
      version: args.version,
      sensitivity: args.sensitivity,
    });
    const { models, registry } = requireAdmin(ctx);
    if (!(sensitivity > 0 && sensitivity < 1))
      throw new AppError('BAD_USER_INPUT', 'sensitivity must lie strictly between 0 and 1 (0.5: as calibrated at training).');
    const m = models.model(projectName, version);
    // The same tag protocol clients set with TagResource: one record, one value.
    await registry.tag(registry.modelArn(projectName, m.version), { [SENSITIVITY_TAG]: String(sensitivity) });
    return modelInfo(models, projectName, models.model(projectName, m.version));
  },

  async deleteModel(_p, args, ctx) {
    const { projectName, version } = inputOf('deleteModel', args.input, { projectName: args.projectName, version: args.version });
    const { models } = requireAdmin(ctx);
    if (!VERSION_PATTERN.test(version)) throw new AppError('BAD_USER_INPUT', 'deleteModel takes a concrete version ("1", "2", ...), not "latest".');
    const m = await models.delete(projectName, version);
    return { ...(await modelInfo(models, projectName, m)), status: 'DELETING' as const, statusMessage: 'Deleted.' };
  },
};
