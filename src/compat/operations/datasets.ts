import { AppError } from '../../errors';
import { datasetMetadata, seconds } from '../encode';
import { jsonBody, page, type Operation, type OperationRequest } from '../operation';
import { anomalyClass, booleanQuery, check, createDatasetBody, datasetType, isoTimestamp, projectName, sourceRefContains, updateEntriesBody } from '../shapes';

const DATASETS = /^\/2020-11-20\/projects\/(?<projectName>[^/]+)\/datasets$/;
const DATASET = /^\/2020-11-20\/projects\/(?<projectName>[^/]+)\/datasets\/(?<datasetType>[^/]+)$/;
const ENTRIES = /^\/2020-11-20\/projects\/(?<projectName>[^/]+)\/datasets\/(?<datasetType>[^/]+)\/entries$/;

/** UpdateDatasetEntries' Changes: base64 of 1 byte to 10 MiB of JSON lines. */
const MAX_CHANGES = 10 * 1024 * 1024;

const where = (req: OperationRequest) => ({
  project: check(projectName, req.labels.projectName, 'projectName'),
  type: check(datasetType, req.labels.datasetType, 'datasetType'),
});

const optional = <T>(req: OperationRequest, name: string, parse: (v: string) => T): T | undefined => {
  const v = req.query.get(name);
  return v === null ? undefined : parse(v);
};

export const datasetOperations: Operation[] = [
  {
    name: 'CreateDataset',
    method: 'POST',
    path: DATASETS,
    status: 202,
    async handle(req) {
      const project = check(projectName, req.labels.projectName, 'projectName');
      const body = check(createDatasetBody, jsonBody(req));
      const s3 = body.DatasetSource?.GroundTruthManifest.S3Object;
      const d = await req.projects.registry.createDataset(project, body.DatasetType, s3 ? { bucket: s3.Bucket, key: s3.Key } : null);
      return { DatasetMetadata: datasetMetadata(d) };
    },
  },
  {
    name: 'DescribeDataset',
    method: 'GET',
    path: DATASET,
    status: 200,
    async handle(req) {
      const { project, type } = where(req);
      const d = req.projects.registry.describeDataset(project, type);
      return {
        DatasetDescription: {
          ProjectName: project,
          DatasetType: type,
          CreationTimestamp: seconds(d.createdAt),
          LastUpdatedTimestamp: seconds(d.updatedAt),
          Status: d.status,
          StatusMessage: d.statusMessage,
          ImageStats: { Total: d.stats.total, Labeled: d.stats.labeled, Normal: d.stats.normal, Anomaly: d.stats.anomaly },
        },
      };
    },
  },
  {
    name: 'DeleteDataset',
    method: 'DELETE',
    path: DATASET,
    status: 202,
    async handle(req) {
      const { project, type } = where(req);
      await req.projects.registry.deleteDataset(project, type);
      return {};
    },
  },
  {
    name: 'ListDatasetEntries',
    method: 'GET',
    path: ENTRIES,
    status: 200,
    async handle(req) {
      const { project, type } = where(req);
      const entries = req.projects.registry.listEntries(project, type, {
        labeled: optional(req, 'labeled', (v) => check(booleanQuery, v, 'labeled')),
        anomalyClass: optional(req, 'anomalyClass', (v) => check(anomalyClass, v, 'anomalyClass')),
        createdBefore: optional(req, 'createdBefore', (v) => check(isoTimestamp, v, 'createdBefore')),
        createdAfter: optional(req, 'createdAfter', (v) => check(isoTimestamp, v, 'createdAfter')),
        sourceRefContains: optional(req, 'sourceRefContains', (v) => check(sourceRefContains, v, 'sourceRefContains')),
      });
      const { items, next } = page(req, entries, `entries/${project}/${type}`);
      return { DatasetEntries: items.map((e) => e.line), NextToken: next };
    },
  },
  {
    name: 'UpdateDatasetEntries',
    method: 'PATCH',
    path: ENTRIES,
    status: 202,
    maxBody: Math.ceil((MAX_CHANGES * 4) / 3) + 1024,
    async handle(req) {
      const { project, type } = where(req);
      const { Changes } = check(updateEntriesBody, jsonBody(req));
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(Changes) || Changes.length % 4 !== 0) throw new AppError('BAD_USER_INPUT', 'Changes must be base64.');
      const bytes = Buffer.from(Changes, 'base64');
      if (bytes.byteLength > MAX_CHANGES) throw new AppError('BAD_USER_INPUT', `Changes must decode to at most ${MAX_CHANGES} bytes.`);
      const d = await req.projects.registry.updateEntries(project, type, bytes.toString('utf8'), req.projects.registry.dataDir);
      return { Status: d.status };
    },
  },
];
