import { impliedPerformance } from '../../engine/calibration';
import type { ModelHeader } from '../../engine/model/model-header';
import type { ModelLifecycle } from '../../projects/model-lifecycle';
import type { ModelRecord } from '../../projects/records';
import { sensitivityFromTags } from '../../projects/training-options';
import type { ModelInfo } from './backend';

/**
 * A model of the embedded engine as every backend describes one (ModelInfo): its record (status,
 * tags) joined with what its header says (type, performance, anomaly types). Built here, above
 * the project layer, so that layer knows nothing of how detection describes models.
 */
export async function modelInfo(models: ModelLifecycle, project: string, m: ModelRecord): Promise<ModelInfo> {
  const h = await models.header(project, m);
  const sensitivity = sensitivityFromTags(m.tags);
  return {
    projectName: project,
    version: m.version,
    status: m.status,
    statusMessage: m.statusMessage,
    description: m.description,
    type: h ? (h.segmentation ? 'SEGMENTATION' : 'CLASSIFICATION') : null,
    createdAt: new Date(m.createdAt),
    performance: h && {
      f1Score: h.metrics.f1,
      precision: h.metrics.precision,
      recall: h.metrics.recall,
      imageAuroc: h.metrics.imageAuroc,
      pixelAuroc: h.metrics.pixelAuroc,
      testNormalImages: h.metrics.testImages.normal,
      testAnomalyImages: h.metrics.testImages.anomaly,
    },
    anomalyTypes: h?.segmentation?.classes ?? [],
    orientation: h ? (h.augmentation.rotations.length ? 'ANY' : 'FIXED') : null,
    sensitivity,
    operatingPoint: h ? operatingPoint(h, sensitivity) : null,
  };
}

type OperatingPoint = NonNullable<ModelInfo['operatingPoint']>;

/** Per loaded header (headers are loaded once per model and kept), per sensitivity. */
const operatingPoints = new WeakMap<ModelHeader, Map<number, OperatingPoint>>();

/**
 * The precision and recall a sensitivity implies on the model's test split. Every detection
 * describes its model, and this walk over the test scores was the costliest part of that on the
 * cached path, so it is worked out once per header and sensitivity.
 */
function operatingPoint(h: ModelHeader, sensitivity: number): OperatingPoint {
  let bySensitivity = operatingPoints.get(h);
  if (!bySensitivity) operatingPoints.set(h, (bySensitivity = new Map()));
  let point = bySensitivity.get(sensitivity);
  if (!point) {
    const { f1, ...rest } = impliedPerformance({ threshold: h.threshold, ...h.confidence }, sensitivity, h.metrics.testScores);
    bySensitivity.set(sensitivity, (point = Object.freeze({ ...rest, f1Score: f1 })));
  }
  return point;
}
