import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isAppError } from '../../errors';
import { readDataset } from '../dataset/folder';
import { loadModel } from '../model/model-store';
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
  // Checked whole (header, hashes, sizes), not only present: a damaged demo model was kept and
  // every detection then failed with a misleading "start it first". It is ours to rebuild.
  try {
    await loadModel(modelDir);
    return modelDir;
  } catch (err) {
    if (!isAppError(err)) throw err;
    if (err.code !== 'MODEL_NOT_FOUND') {
      log(`the demo model is damaged (${err.message}); training it again`);
      await rm(modelDir, { recursive: true, force: true });
    }
  }
  log('training the demo model from images made in code (once, a few seconds)...');
  const manifest = await writeSegmentationDataset(join(dataDir, 'demo-dataset'), 16, 8);
  await trainModel({ train: await readDataset(manifest) }, modelDir, { resolution: 128 });
  return modelDir;
}
