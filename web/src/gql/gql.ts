/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation DetectImage($image: Upload!, $projectName: String!, $modelVersion: String) {\n  detectAnomalies(\n    input: {image: $image, projectName: $projectName, modelVersion: $modelVersion}\n  ) {\n    ...DetectionView\n  }\n}\n\nfragment DetectionView on DetectionResult {\n  id\n  imageSha256\n  isAnomalous\n  confidence\n  cached\n  anomalies {\n    name\n    pixelAnomaly {\n      totalPercentageArea\n      color\n    }\n  }\n  anomalyMask {\n    url\n    width\n    height\n  }\n  heatMap {\n    url\n    width\n    height\n  }\n  overlay {\n    url\n  }\n  model {\n    projectName\n    version\n    type\n  }\n}\n\nmutation AddLabelledImage($projectName: String!, $normalImages: [Upload!], $anomalyImages: [Upload!]) {\n  addDatasetImages(\n    input: {projectName: $projectName, type: TRAIN, normalImages: $normalImages, anomalyImages: $anomalyImages}\n  ) {\n    type\n    imageStats {\n      total\n      normal\n      anomaly\n    }\n  }\n}\n\nmutation CreateLabelledDataset($projectName: String!, $normalImages: [Upload!], $anomalyImages: [Upload!]) {\n  createDataset(\n    input: {projectName: $projectName, type: TRAIN, normalImages: $normalImages, anomalyImages: $anomalyImages}\n  ) {\n    type\n    imageStats {\n      total\n      normal\n      anomaly\n    }\n  }\n}": typeof types.DetectImageDocument,
    "query Projects {\n  projects {\n    name\n    models {\n      ...ModelSummary\n    }\n  }\n}\n\nfragment ModelSummary on Model {\n  projectName\n  version\n  status\n  statusMessage\n  type\n  description\n  createdAt\n  performance {\n    f1Score\n    precision\n    recall\n  }\n  operatingPoint {\n    sensitivity\n    f1Score\n    precision\n    recall\n  }\n  anomalyTypes {\n    name\n    color\n  }\n  training {\n    stage\n    done\n    total\n    startedAt\n  }\n}\n\nmutation StartModel($projectName: String!, $version: String!) {\n  startModel(projectName: $projectName, version: $version) {\n    ...ModelSummary\n  }\n}\n\nmutation StopModel($projectName: String!, $version: String!) {\n  stopModel(projectName: $projectName, version: $version) {\n    ...ModelSummary\n  }\n}": typeof types.ProjectsDocument,
};
const documents: Documents = {
    "mutation DetectImage($image: Upload!, $projectName: String!, $modelVersion: String) {\n  detectAnomalies(\n    input: {image: $image, projectName: $projectName, modelVersion: $modelVersion}\n  ) {\n    ...DetectionView\n  }\n}\n\nfragment DetectionView on DetectionResult {\n  id\n  imageSha256\n  isAnomalous\n  confidence\n  cached\n  anomalies {\n    name\n    pixelAnomaly {\n      totalPercentageArea\n      color\n    }\n  }\n  anomalyMask {\n    url\n    width\n    height\n  }\n  heatMap {\n    url\n    width\n    height\n  }\n  overlay {\n    url\n  }\n  model {\n    projectName\n    version\n    type\n  }\n}\n\nmutation AddLabelledImage($projectName: String!, $normalImages: [Upload!], $anomalyImages: [Upload!]) {\n  addDatasetImages(\n    input: {projectName: $projectName, type: TRAIN, normalImages: $normalImages, anomalyImages: $anomalyImages}\n  ) {\n    type\n    imageStats {\n      total\n      normal\n      anomaly\n    }\n  }\n}\n\nmutation CreateLabelledDataset($projectName: String!, $normalImages: [Upload!], $anomalyImages: [Upload!]) {\n  createDataset(\n    input: {projectName: $projectName, type: TRAIN, normalImages: $normalImages, anomalyImages: $anomalyImages}\n  ) {\n    type\n    imageStats {\n      total\n      normal\n      anomaly\n    }\n  }\n}": types.DetectImageDocument,
    "query Projects {\n  projects {\n    name\n    models {\n      ...ModelSummary\n    }\n  }\n}\n\nfragment ModelSummary on Model {\n  projectName\n  version\n  status\n  statusMessage\n  type\n  description\n  createdAt\n  performance {\n    f1Score\n    precision\n    recall\n  }\n  operatingPoint {\n    sensitivity\n    f1Score\n    precision\n    recall\n  }\n  anomalyTypes {\n    name\n    color\n  }\n  training {\n    stage\n    done\n    total\n    startedAt\n  }\n}\n\nmutation StartModel($projectName: String!, $version: String!) {\n  startModel(projectName: $projectName, version: $version) {\n    ...ModelSummary\n  }\n}\n\nmutation StopModel($projectName: String!, $version: String!) {\n  stopModel(projectName: $projectName, version: $version) {\n    ...ModelSummary\n  }\n}": types.ProjectsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DetectImage($image: Upload!, $projectName: String!, $modelVersion: String) {\n  detectAnomalies(\n    input: {image: $image, projectName: $projectName, modelVersion: $modelVersion}\n  ) {\n    ...DetectionView\n  }\n}\n\nfragment DetectionView on DetectionResult {\n  id\n  imageSha256\n  isAnomalous\n  confidence\n  cached\n  anomalies {\n    name\n    pixelAnomaly {\n      totalPercentageArea\n      color\n    }\n  }\n  anomalyMask {\n    url\n    width\n    height\n  }\n  heatMap {\n    url\n    width\n    height\n  }\n  overlay {\n    url\n  }\n  model {\n    projectName\n    version\n    type\n  }\n}\n\nmutation AddLabelledImage($projectName: String!, $normalImages: [Upload!], $anomalyImages: [Upload!]) {\n  addDatasetImages(\n    input: {projectName: $projectName, type: TRAIN, normalImages: $normalImages, anomalyImages: $anomalyImages}\n  ) {\n    type\n    imageStats {\n      total\n      normal\n      anomaly\n    }\n  }\n}\n\nmutation CreateLabelledDataset($projectName: String!, $normalImages: [Upload!], $anomalyImages: [Upload!]) {\n  createDataset(\n    input: {projectName: $projectName, type: TRAIN, normalImages: $normalImages, anomalyImages: $anomalyImages}\n  ) {\n    type\n    imageStats {\n      total\n      normal\n      anomaly\n    }\n  }\n}"): typeof import('./graphql').DetectImageDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Projects {\n  projects {\n    name\n    models {\n      ...ModelSummary\n    }\n  }\n}\n\nfragment ModelSummary on Model {\n  projectName\n  version\n  status\n  statusMessage\n  type\n  description\n  createdAt\n  performance {\n    f1Score\n    precision\n    recall\n  }\n  operatingPoint {\n    sensitivity\n    f1Score\n    precision\n    recall\n  }\n  anomalyTypes {\n    name\n    color\n  }\n  training {\n    stage\n    done\n    total\n    startedAt\n  }\n}\n\nmutation StartModel($projectName: String!, $version: String!) {\n  startModel(projectName: $projectName, version: $version) {\n    ...ModelSummary\n  }\n}\n\nmutation StopModel($projectName: String!, $version: String!) {\n  stopModel(projectName: $projectName, version: $version) {\n    ...ModelSummary\n  }\n}"): typeof import('./graphql').ProjectsDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
