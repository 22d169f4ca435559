import type { HeatGrid } from '../../engine/heatmap';
import type { ImageInput } from '../image-input';

/**
 * The seam between the gateway and whatever detects: the embedded engine (`local`) or a
 * Lookout for Vision endpoint (`lookoutvision`). Both answer in Lookout for Vision's terms.
 */

import type { ModelStatus } from '../../projects/records';

// One list of statuses, the project records'; every backend answers with it.
export type { ModelStatus };

export interface ModelInfo {
  projectName: string;
  /** Always concrete ("1", "2", ...). */
  version: string;
  status: ModelStatus;
  statusMessage?: string | null;
  description?: string | null;
  /** Null where the backend does not say. */
  type: 'CLASSIFICATION' | 'SEGMENTATION' | null;
  createdAt: Date | null;
  performance: {
    f1Score: number | null;
    precision: number | null;
    recall: number | null;
    imageAuroc: number | null;
    pixelAuroc: number | null;
    testNormalImages: number;
    testAnomalyImages: number;
  } | null;
  anomalyTypes: { name: string; color: string }[];
  /** What the trained model learned about orientation; null where unknown. */
  orientation?: 'ANY' | 'FIXED' | null;
  /** The decision's sensitivity (0.5: as calibrated); absent where the backend has none. */
  sensitivity?: number;
  /** What that sensitivity implies on the test images. */
  operatingPoint?: { sensitivity: number; threshold: number; precision: number | null; recall: number | null; f1Score: number | null } | null;
}

export interface BackendDetection {
  isAnomalous: boolean;
  confidence: number;
  /** Segmentation models: `background` first. */
  anomalies?: { name: string; color: string; totalPercentageArea: number }[];
  /** Segmentation models: the PNG mask, the size of the input. */
  mask?: { png: Buffer; width: number; height: number };
  /** The anomaly map, where the backend has one (the embedded engine's models, of either type). */
  heat?: HeatGrid;
}

export interface DetectorBackend {
  /** Part of every cache key: answers of different backends never mix. */
  readonly id: string;
  listProjects(): Promise<string[]>;
  /** Newest first; MODEL_NOT_FOUND for an unknown project. */
  listModels(projectName: string): Promise<ModelInfo[]>;
  /** `version` may be `latest`; null when there is no such model. */
  describeModel(projectName: string, version: string): Promise<ModelInfo | null>;
  detect(image: ImageInput, model: ModelInfo, signal?: AbortSignal): Promise<BackendDetection>;
  /** For /readyz. */
  ready(): Promise<{ ok: boolean; detail?: string; queueDepth?: number; trainings?: number }>;
  close(): Promise<void>;
}
