import type { FileAccess } from '../dataset/file-access';
import { naming, readImage } from '../dataset/read-entry';
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
  files?: FileAccess;
}

export interface InputPlan {
  setup: ScoringSetup;
  /** The first normal's size: the frame fractional regions refer to. */
  frame: { width: number; height: number };
  spec: ExtractorSpec;
  coresetRatio: number;
}

export async function planInput(normals: DatasetEntry[], o: PlanOptions): Promise<InputPlan> {
  const firstHeader = await naming(normals[0], async () => readImageHeader(await readImage(normals[0], o.files), o.limits));
  let roi: Box | null = null;
  if (typeof o.roi === 'object') roi = o.roi;
  else if (o.roi !== 'none') {
    const sample = normals.slice(0, 20);
    roi = regionOfInterest(await Promise.all(sample.map((e) => naming(e, async () => foregroundBox(await readImage(e, o.files))))));
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
