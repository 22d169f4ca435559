import { readFile } from 'node:fs/promises';
import { AppError, isAppError } from '../../errors';
import type { DatasetEntry } from '../dataset/types';
import { defaultProfile, getExtractor, type ExtractorSpec } from '../features/extractor';
import { roiToPixels, type Box } from '../image/decode';
import { readImageHeader, type ImageLimits } from '../image/image-header';
import type { ScoringSetup } from '../pipeline';
import { foregroundBox, regionOfInterest } from '../roi';
import type { ScoringMethod } from '../scoring/image-score';

/**
 * The first training stage: what part of the frame to score, at what size, with which features.
 * Everything here is decided from the normals and then fixed in the model.
 */

export async function readImage(entry: DatasetEntry): Promise<Buffer> {
  try {
    return await readFile(entry.image);
  } catch (err) {
    throw new AppError('DATASET_INVALID', `The image ${entry.image} cannot be read: ${(err as Error).message}`, { path: entry.image }, { cause: err });
  }
}

/** Names the file in an image error: "not a PNG or JPEG" means little without knowing which of 500. */
export async function naming<T>(entry: DatasetEntry, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isAppError(err) && !err.details.path) throw new AppError(err.code, `${entry.image}: ${err.message}`, { ...err.details, path: entry.image }, { cause: err });
    throw err;
  }
}

/** Rounds to a multiple of 32, the backbone's coarsest stride, so every layer's grid divides evenly. */
const to32 = (v: number) => Math.max(64, Math.round(v / 32) * 32);

export function chooseInputSize(region: { width: number; height: number }, resolution?: number): { width: number; height: number } {
  const long = Math.max(region.width, region.height);
  const target = resolution ?? Math.min(1280, Math.max(256, long / 2));
  const scale = target / long;
  return { width: to32(region.width * scale), height: to32(region.height * scale) };
}

export interface PlanOptions {
  extractor?: ExtractorSpec;
  resolution?: number;
  roi?: 'auto' | 'none' | Box;
  coresetRatio?: number;
  blurSigma: number;
  method: ScoringMethod;
  limits: ImageLimits;
}

export interface InputPlan {
  setup: ScoringSetup;
  /** The first normal's size: the frame fractional regions refer to. */
  frame: { width: number; height: number };
  spec: ExtractorSpec;
  coresetRatio: number;
}

export async function planInput(normals: DatasetEntry[], o: PlanOptions): Promise<InputPlan> {
  const firstHeader = await naming(normals[0], async () => readImageHeader(await readImage(normals[0]), o.limits));
  let roi: Box | null = null;
  if (typeof o.roi === 'object') roi = o.roi;
  else if (o.roi !== 'none') {
    const sample = normals.slice(0, 20);
    roi = regionOfInterest(await Promise.all(sample.map((e) => naming(e, async () => foregroundBox(await readImage(e))))));
  }
  const input = chooseInputSize(roiToPixels(roi, firstHeader), o.resolution);
  const profile = defaultProfile(input);
  const spec = o.extractor ?? profile.extractor;
  const extractor = await getExtractor(spec);
  return {
    setup: { extractor, input, roi, blurSigma: o.blurSigma, method: o.method, limits: o.limits },
    frame: { width: firstHeader.width, height: firstHeader.height },
    spec,
    coresetRatio: o.coresetRatio ?? profile.coresetRatio,
  };
}
