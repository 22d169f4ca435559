/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** Which of a project's two datasets. */
export type DatasetType =
  /** Images held back to measure a model. */
  | 'TEST'
  /** The images a model learns from (and, without a test dataset, is also tested on). */
  | 'TRAIN';

/** Where a model is in its life, with Lookout for Vision's names. */
export type ModelStatus =
  /** Being deleted. */
  | 'DELETING'
  /** Running: detections use it. */
  | 'HOSTED'
  /** It could not be loaded; `statusMessage` says why. */
  | 'HOSTING_FAILED'
  /** Loading; detections wait for it. */
  | 'STARTING_HOSTING'
  /** Unloading. */
  | 'STOPPING_HOSTING'
  /** Trained and stopped: start it to detect with it. */
  | 'TRAINED'
  /** Training in the background; `training` shows the stage. */
  | 'TRAINING'
  /** The training failed; `statusMessage` says why. */
  | 'TRAINING_FAILED';

/** What a model answers. */
export type ModelType =
  /** A verdict and a confidence for the whole image (and a heat map). */
  | 'CLASSIFICATION'
  /** Also each anomaly type with its area and mask. */
  | 'SEGMENTATION';

export type DetectImageMutationVariables = Exact<{
  image: File;
  projectName: string;
  modelVersion?: string | null | undefined;
}>;


export type DetectImageMutation = { detectAnomalies: { id: string, imageSha256: string, isAnomalous: boolean, confidence: number, cached: boolean, anomalies: Array<{ name: string, pixelAnomaly: { totalPercentageArea: number, color: string } }> | null, anomalyMask: { url: string, width: number, height: number } | null, heatMap: { url: string, width: number, height: number } | null, overlay: { url: string } | null, model: { projectName: string, version: string, type: ModelType | null } } };

export type DetectionViewFragment = { id: string, imageSha256: string, isAnomalous: boolean, confidence: number, cached: boolean, anomalies: Array<{ name: string, pixelAnomaly: { totalPercentageArea: number, color: string } }> | null, anomalyMask: { url: string, width: number, height: number } | null, heatMap: { url: string, width: number, height: number } | null, overlay: { url: string } | null, model: { projectName: string, version: string, type: ModelType | null } };

export type AddLabelledImageMutationVariables = Exact<{
  projectName: string;
  normalImages?: Array<File> | File | null | undefined;
  anomalyImages?: Array<File> | File | null | undefined;
}>;


export type AddLabelledImageMutation = { addDatasetImages: { type: DatasetType, imageStats: { total: number, normal: number, anomaly: number } } };

export type CreateLabelledDatasetMutationVariables = Exact<{
  projectName: string;
  normalImages?: Array<File> | File | null | undefined;
  anomalyImages?: Array<File> | File | null | undefined;
}>;


export type CreateLabelledDatasetMutation = { createDataset: { type: DatasetType, imageStats: { total: number, normal: number, anomaly: number } } };

export type RecentDetectionsQueryVariables = Exact<{
  projectName: string;
  first: number;
}>;


export type RecentDetectionsQuery = { project: { recentDetections: { totalCount: number, edges: Array<{ detectedAt: string, node: { id: string, isAnomalous: boolean, confidence: number, anomalies: Array<{ name: string }> | null, overlay: { url: string } | null, model: { version: string } } }> } } | null };

export type ProjectsQueryVariables = Exact<{ [key: string]: never; }>;


export type ProjectsQuery = { projects: Array<{ name: string, modelConnection: { edges: Array<{ node: { projectName: string, version: string, status: ModelStatus, statusMessage: string | null, type: ModelType | null, description: string | null, createdAt: string | null, performance: { f1Score: number | null, precision: number | null, recall: number | null } | null, operatingPoint: { sensitivity: number, f1Score: number | null, precision: number | null, recall: number | null } | null, anomalyTypes: Array<{ name: string, color: string }>, training: { stage: string, done: number, total: number, startedAt: string | null } | null } }> } }> };

export type ModelSummaryFragment = { projectName: string, version: string, status: ModelStatus, statusMessage: string | null, type: ModelType | null, description: string | null, createdAt: string | null, performance: { f1Score: number | null, precision: number | null, recall: number | null } | null, operatingPoint: { sensitivity: number, f1Score: number | null, precision: number | null, recall: number | null } | null, anomalyTypes: Array<{ name: string, color: string }>, training: { stage: string, done: number, total: number, startedAt: string | null } | null };

export type StartModelMutationVariables = Exact<{
  projectName: string;
  version: string;
}>;


export type StartModelMutation = { startModel: { projectName: string, version: string, status: ModelStatus, statusMessage: string | null, type: ModelType | null, description: string | null, createdAt: string | null, performance: { f1Score: number | null, precision: number | null, recall: number | null } | null, operatingPoint: { sensitivity: number, f1Score: number | null, precision: number | null, recall: number | null } | null, anomalyTypes: Array<{ name: string, color: string }>, training: { stage: string, done: number, total: number, startedAt: string | null } | null } };

export type StopModelMutationVariables = Exact<{
  projectName: string;
  version: string;
}>;


export type StopModelMutation = { stopModel: { projectName: string, version: string, status: ModelStatus, statusMessage: string | null, type: ModelType | null, description: string | null, createdAt: string | null, performance: { f1Score: number | null, precision: number | null, recall: number | null } | null, operatingPoint: { sensitivity: number, f1Score: number | null, precision: number | null, recall: number | null } | null, anomalyTypes: Array<{ name: string, color: string }>, training: { stage: string, done: number, total: number, startedAt: string | null } | null } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const DetectionViewFragmentDoc = new TypedDocumentString(`
    fragment DetectionView on DetectionResult {
  id
  imageSha256
  isAnomalous
  confidence
  cached
  anomalies {
    name
    pixelAnomaly {
      totalPercentageArea
      color
    }
  }
  anomalyMask {
    url
    width
    height
  }
  heatMap {
    url
    width
    height
  }
  overlay {
    url
  }
  model {
    projectName
    version
    type
  }
}
    `, {"fragmentName":"DetectionView"}) as unknown as TypedDocumentString<DetectionViewFragment, unknown>;
export const ModelSummaryFragmentDoc = new TypedDocumentString(`
    fragment ModelSummary on Model {
  projectName
  version
  status
  statusMessage
  type
  description
  createdAt
  performance {
    f1Score
    precision
    recall
  }
  operatingPoint {
    sensitivity
    f1Score
    precision
    recall
  }
  anomalyTypes {
    name
    color
  }
  training {
    stage
    done
    total
    startedAt
  }
}
    `, {"fragmentName":"ModelSummary"}) as unknown as TypedDocumentString<ModelSummaryFragment, unknown>;
export const DetectImageDocument = new TypedDocumentString(`
    mutation DetectImage($image: Upload!, $projectName: String!, $modelVersion: String) {
  detectAnomalies(
    input: {image: $image, projectName: $projectName, modelVersion: $modelVersion}
  ) {
    ...DetectionView
  }
}
    fragment DetectionView on DetectionResult {
  id
  imageSha256
  isAnomalous
  confidence
  cached
  anomalies {
    name
    pixelAnomaly {
      totalPercentageArea
      color
    }
  }
  anomalyMask {
    url
    width
    height
  }
  heatMap {
    url
    width
    height
  }
  overlay {
    url
  }
  model {
    projectName
    version
    type
  }
}`) as unknown as TypedDocumentString<DetectImageMutation, DetectImageMutationVariables>;
export const AddLabelledImageDocument = new TypedDocumentString(`
    mutation AddLabelledImage($projectName: String!, $normalImages: [Upload!], $anomalyImages: [Upload!]) {
  addDatasetImages(
    input: {projectName: $projectName, type: TRAIN, normalImages: $normalImages, anomalyImages: $anomalyImages}
  ) {
    type
    imageStats {
      total
      normal
      anomaly
    }
  }
}
    `) as unknown as TypedDocumentString<AddLabelledImageMutation, AddLabelledImageMutationVariables>;
export const CreateLabelledDatasetDocument = new TypedDocumentString(`
    mutation CreateLabelledDataset($projectName: String!, $normalImages: [Upload!], $anomalyImages: [Upload!]) {
  createDataset(
    input: {projectName: $projectName, type: TRAIN, normalImages: $normalImages, anomalyImages: $anomalyImages}
  ) {
    type
    imageStats {
      total
      normal
      anomaly
    }
  }
}
    `) as unknown as TypedDocumentString<CreateLabelledDatasetMutation, CreateLabelledDatasetMutationVariables>;
export const RecentDetectionsDocument = new TypedDocumentString(`
    query RecentDetections($projectName: String!, $first: Int!) {
  project(name: $projectName) {
    recentDetections(first: $first) {
      totalCount
      edges {
        detectedAt
        node {
          id
          isAnomalous
          confidence
          anomalies {
            name
          }
          overlay {
            url
          }
          model {
            version
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<RecentDetectionsQuery, RecentDetectionsQueryVariables>;
export const ProjectsDocument = new TypedDocumentString(`
    query Projects {
  projects {
    name
    modelConnection(first: 50) {
      edges {
        node {
          ...ModelSummary
        }
      }
    }
  }
}
    fragment ModelSummary on Model {
  projectName
  version
  status
  statusMessage
  type
  description
  createdAt
  performance {
    f1Score
    precision
    recall
  }
  operatingPoint {
    sensitivity
    f1Score
    precision
    recall
  }
  anomalyTypes {
    name
    color
  }
  training {
    stage
    done
    total
    startedAt
  }
}`) as unknown as TypedDocumentString<ProjectsQuery, ProjectsQueryVariables>;
export const StartModelDocument = new TypedDocumentString(`
    mutation StartModel($projectName: String!, $version: String!) {
  startModel(input: {projectName: $projectName, version: $version}) {
    ...ModelSummary
  }
}
    fragment ModelSummary on Model {
  projectName
  version
  status
  statusMessage
  type
  description
  createdAt
  performance {
    f1Score
    precision
    recall
  }
  operatingPoint {
    sensitivity
    f1Score
    precision
    recall
  }
  anomalyTypes {
    name
    color
  }
  training {
    stage
    done
    total
    startedAt
  }
}`) as unknown as TypedDocumentString<StartModelMutation, StartModelMutationVariables>;
export const StopModelDocument = new TypedDocumentString(`
    mutation StopModel($projectName: String!, $version: String!) {
  stopModel(input: {projectName: $projectName, version: $version}) {
    ...ModelSummary
  }
}
    fragment ModelSummary on Model {
  projectName
  version
  status
  statusMessage
  type
  description
  createdAt
  performance {
    f1Score
    precision
    recall
  }
  operatingPoint {
    sensitivity
    f1Score
    precision
    recall
  }
  anomalyTypes {
    name
    color
  }
  training {
    stage
    done
    total
    startedAt
  }
}`) as unknown as TypedDocumentString<StopModelMutation, StopModelMutationVariables>;