import { seededRng, shuffled } from '../random';
import type { DatasetEntry } from './types';

/**
 * Lookout for Vision split a single-dataset project into train and test on its own; this does
 * the same, stratified by label and seeded, so a model can be retrained to the same figures.
 * Labelled anomalies are split too: the training share calibrates the threshold and names the
 * anomaly types, the test share measures the model. A class too small to give the test side
 * an image stays wholly in training, and a fraction of 0 holds nothing out.
 */
export function splitDataset(
  entries: DatasetEntry[],
  testFraction: number,
  seed: number,
): { train: DatasetEntry[]; test: DatasetEntry[]; testSource: 'auto-split' } {
  const rng = seededRng(seed);
  const train: DatasetEntry[] = [];
  const test: DatasetEntry[] = [];
  for (const label of ['normal', 'anomaly'] as const) {
    const group = shuffled(
      entries.filter((e) => e.label === label),
      rng,
    );
    // Keep enough normals to build a bank: a test share only comes out of 5 or more.
    const nTest = group.length >= 5 && testFraction > 0 ? Math.max(1, Math.round(group.length * testFraction)) : 0;
    test.push(...group.slice(0, nTest));
    train.push(...group.slice(nTest));
  }
  return { train, test, testSource: 'auto-split' };
}
