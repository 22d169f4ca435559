import type { ModelInfo } from '../detection/backends/backend';
import type { StoredDetection } from '../detection/detection-service';
import type { DatasetRecord } from '../projects/records';

/** What resolvers hand each other: domain objects, turned into GraphQL fields by type resolvers. */
export interface DetectionResultParent {
  detection: StoredDetection;
  cached: boolean;
}

export type ModelParent = ModelInfo;

export interface ProjectParent {
  name: string;
}

export interface DatasetParent {
  projectName: string;
  record: DatasetRecord;
}

export interface AnomalyParent {
  detection: StoredDetection;
  name: string;
  color: string;
  totalPercentageArea: number;
}

export interface MaskParent {
  url: string;
  expiresAt: Date;
  width: number;
  height: number;
  contentType: string;
}
