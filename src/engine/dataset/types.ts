/** What training reads, whatever the source (a folder of images or a Lookout for Vision manifest). */

export type Label = 'normal' | 'anomaly';

/** An anomaly type from a segmentation manifest's `internal-color-map`. */
export interface AnomalyClass {
  name: string;
  /** `#RRGGBB`, upper case, as Lookout for Vision returns it. */
  color: string;
}

export interface DatasetEntry {
  /** Absolute local path of the image. */
  image: string;
  /** The reference as the dataset wrote it (a manifest's `source-ref`): what errors name. */
  ref?: string;
  label: Label;
  /** Absolute local path of the mask PNG, for anomalies of a segmentation dataset. */
  mask?: string;
  maskRef?: string;
  /** Colour map of this entry's mask (manifests may differ line by line). */
  maskClasses?: AnomalyClass[];
}

export interface Dataset {
  entries: DatasetEntry[];
  /** Every anomaly type named in the dataset, in first-seen order. Empty: classification only. */
  classes: AnomalyClass[];
  /** Lines or files that carried no usable label (ignored, as Lookout for Vision ignores them). */
  unlabelled: number;
}

export function countLabels(entries: DatasetEntry[]): { normal: number; anomaly: number; masked: number } {
  let normal = 0;
  let anomaly = 0;
  let masked = 0;
  for (const e of entries) {
    if (e.label === 'normal') normal++;
    else anomaly++;
    if (e.mask) masked++;
  }
  return { normal, anomaly, masked };
}
