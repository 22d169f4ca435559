import { AnomalyModel, type LoadOptions } from './detector';
import { AnomalibModel } from './imported/anomalib-model';
import { readModelHeader } from './model/model-store';

/** A model ready to score images, whoever made it: trained here, or imported from anomalib. */
export type Detector = AnomalyModel | AnomalibModel;

export async function loadDetector(dir: string, options: LoadOptions = {}): Promise<Detector> {
  const header = await readModelHeader(dir);
  return 'imported' in header ? AnomalibModel.load(dir, header, options) : AnomalyModel.load(dir, options, header);
}
