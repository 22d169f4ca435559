import { posix } from 'node:path';
import { AppError } from '../../errors';
import { seededRng, shuffled } from '../random';
import type { Label } from './types';

/**
 * The two folder layouts a dataset may come in, told apart from a list of relative file paths, so
 * a local folder and an S3 prefix are read by the same rules:
 * - Lookout for Vision's console import: `normal/` and optional `anomaly/`;
 * - MVTec AD, as anomalib (and VisA, once anomalib converts it) ships it: `train/good/`,
 *   `test/good/`, `test/<defect>/`, and `ground_truth/<defect>/<name>_mask.png`.
 *
 * MVTec's training side holds only good images, while a Lookout-style model learns its anomaly
 * types (and an F1-optimal threshold) from labelled anomalies. So a seeded share of each defect
 * folder moves to the training side, the rest stays for testing; a share of 0 keeps the MVTec
 * protocol (train on good only, a classification model with its anomaly map).
 */

export type Side = 'train' | 'test';

export interface LayoutEntry {
  /** Relative to the folder, with `/`. */
  image: string;
  label: Label;
  /** The defect folder the image came from (MVTec). */
  type?: string;
  mask?: string;
  side: Side;
}

export interface FolderLayout {
  kind: 'lookout' | 'mvtec';
  entries: LayoutEntry[];
  /** MVTec defect folders, in name order: the anomaly types. */
  types: string[];
}

/** Share of each defect folder that trains when the caller does not say. */
export const DEFAULT_DEFECTS_IN_TRAINING = 0.5;
const SHARE_SEED = 42;

const IMAGE = /\.(png|jpe?g)$/i;
const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

export function folderLayout(files: readonly string[], name: string, defectsInTraining = DEFAULT_DEFECTS_IN_TRAINING): FolderLayout {
  // Hidden files (.DS_Store, ._x.png from macOS archives) are never images of the dataset.
  const paths = files.filter((f) => !f.split('/').some((part) => part.startsWith('.'))).sort(byName);
  const under = (dir: string) => paths.filter((p) => posix.dirname(p) === dir && IMAGE.test(p));
  if (under('train/good').length) return mvtec(paths, under, name, defectsInTraining);
  if (under('normal').length) {
    return {
      kind: 'lookout',
      types: [],
      entries: [
        ...under('normal').map((image) => ({ image, label: 'normal' as const, side: 'train' as const })),
        ...under('anomaly').map((image) => ({ image, label: 'anomaly' as const, side: 'train' as const })),
      ],
    };
  }
  throw neither(paths, name);
}

function mvtec(paths: string[], under: (dir: string) => string[], name: string, share: number): FolderLayout {
  const testDirs = [...new Set(paths.filter((p) => p.startsWith('test/') && p.split('/').length === 3).map((p) => p.split('/')[1]))];
  const types = testDirs.filter((t) => t !== 'good' && under(`test/${t}`).length).sort(byName);
  const entries: LayoutEntry[] = [
    ...under('train/good').map((image) => ({ image, label: 'normal' as const, side: 'train' as const })),
    ...under('test/good').map((image) => ({ image, label: 'normal' as const, side: 'test' as const })),
  ];
  const problems: string[] = [];
  for (const type of types) {
    const images = under(`test/${type}`);
    const masks = new Set(under(`ground_truth/${type}`));
    const inTraining = new Set(shuffled(images, seededRng(SHARE_SEED)).slice(0, trainingCount(images.length, share)));
    for (const image of images) {
      const mask = masks.size ? maskOf(image, type, masks) : undefined;
      if (masks.size && !mask) problems.push(`${image} has no mask in ground_truth/${type}/`);
      entries.push({ image, label: 'anomaly', type, ...(mask ? { mask } : {}), side: inTraining.has(image) ? 'train' : 'test' });
    }
  }
  if (problems.length) {
    const more = problems.length > 5 ? ` and ${problems.length - 5} more` : '';
    throw new AppError('DATASET_INVALID', `The MVTec folder ${name}: ${problems.slice(0, 5).join('; ')}${more}.`);
  }
  return { kind: 'mvtec', entries, types };
}

/** MVTec names a mask `<stem>_mask.png`; anomalib's converted VisA keeps the image's own name. */
function maskOf(image: string, type: string, masks: Set<string>): string | undefined {
  const stem = posix.basename(image).replace(/\.[^.]+$/, '');
  return [`ground_truth/${type}/${stem}_mask.png`, `ground_truth/${type}/${stem}.png`].find((m) => masks.has(m));
}

/** At least one image of a folder of two or more stays for testing. */
function trainingCount(n: number, share: number): number {
  const k = Math.round(n * share);
  return n >= 2 ? Math.min(k, n - 1) : share >= 1 ? n : 0;
}

function neither(paths: string[], name: string): AppError {
  // A folder of MVTec categories (bottle/, cable/, ...) is a common mistake: name them.
  const categories = [...new Set(paths.filter((p) => /^[^/]+\/train\/good\//.test(p)).map((p) => p.split('/')[0]))].sort(byName);
  const hint = categories.length ? ` It holds ${categories.length} MVTec categories (${categories.slice(0, 5).join(', ')}); give one of them.` : '';
  return new AppError(
    'DATASET_INVALID',
    `The folder ${name} is neither a Lookout for Vision folder (normal/ and anomaly/ with PNG or JPEG images) nor an MVTec AD / anomalib folder (train/good/, test/<defect>/, ground_truth/<defect>/).${hint}`,
  );
}

/** One Ground Truth line for an entry; `ref` turns a relative path into what the manifest names. */
export function manifestLine(entry: LayoutEntry, ref: (path: string) => string): string {
  const anomaly = entry.label === 'anomaly';
  const line: Record<string, unknown> = {
    'source-ref': ref(entry.image),
    'anomaly-label': anomaly ? 1 : 0,
    'anomaly-label-metadata': { 'class-name': entry.label, type: 'groundtruth/image-classification', 'human-annotated': 'yes' },
  };
  if (entry.mask && entry.type) {
    // MVTec masks are white on black: the mask's own colours, whatever colour the type is shown in.
    line['anomaly-mask-ref'] = ref(entry.mask);
    line['anomaly-mask-ref-metadata'] = {
      'internal-color-map': { '0': { 'class-name': 'BACKGROUND', 'hex-color': '#000000' }, '1': { 'class-name': entry.type, 'hex-color': '#FFFFFF' } },
      type: 'groundtruth/semantic-segmentation',
      'human-annotated': 'yes',
    };
  }
  return JSON.stringify(line);
}

/** The share a caller gave, checked: a fraction in [0, 1]. */
export function checkShare(share: number | undefined | null, what: string): number {
  if (share == null) return DEFAULT_DEFECTS_IN_TRAINING;
  if (!Number.isFinite(share) || share < 0 || share > 1) throw new AppError('BAD_USER_INPUT', `${what} must be a share between 0 and 1; got ${share}.`);
  return share;
}
