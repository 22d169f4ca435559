import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { readDataset } from '../dataset/folder';
import { trainModel } from '../train';
import { writeSegmentationDataset } from './synthetic';

/**
 * The demo model a fresh install comes up with: a segmentation model trained on images made in
 * code, so a newcomer sees a verdict, anomaly types, areas and a mask on the first try with no
 * dataset and no download. Trained once and kept under the data folder.
 */
/** The demo model is version 1 of this project. */
export const DEMO_PROJECT = 'demo';

export async function ensureDemoModel(dataDir: string, log: (line: string) => void = () => {}): Promise<string> {
  const modelDir = join(dataDir, 'projects', DEMO_PROJECT, 'models', '1');
  try {
    await access(join(modelDir, 'model.json'));
    return modelDir;
  } catch {
    // not trained yet
  }
  log('training the demo model from images made in code (once, a few seconds)...');
  const manifest = await writeSegmentationDataset(join(dataDir, 'demo-dataset'), 16, 8);
  await trainModel({ train: await readDataset(manifest) }, modelDir, { resolution: 128 });
  return modelDir;
}
