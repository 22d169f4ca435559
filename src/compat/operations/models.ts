import { modelArn } from '../../projects/resources';
import { modelDescription, modelMetadata } from '../encode';
import { jsonBody, page, type Operation, type OperationRequest } from '../operation';
import { check, createModelBody, modelVersion, modelVersionNoLatest, projectName, startModelBody } from '../shapes';

const MODELS = /^\/2020-11-20\/projects\/(?<projectName>[^/]+)\/models$/;
const MODEL = /^\/2020-11-20\/projects\/(?<projectName>[^/]+)\/models\/(?<modelVersion>[^/]+)$/;
const START = /^\/2020-11-20\/projects\/(?<projectName>[^/]+)\/models\/(?<modelVersion>[^/]+)\/start$/;
const STOP = /^\/2020-11-20\/projects\/(?<projectName>[^/]+)\/models\/(?<modelVersion>[^/]+)\/stop$/;

const project = (req: OperationRequest) => check(projectName, req.labels.projectName, 'projectName');
const version = (req: OperationRequest) => check(modelVersion, req.labels.modelVersion, 'modelVersion');

export const modelOperations: Operation[] = [
  {
    name: 'CreateModel',
    method: 'POST',
    path: MODELS,
    status: 202,
    async handle(req) {
      const p = project(req);
      const body = check(createModelBody, jsonBody(req));
      const m = await req.projects.models.create(p, {
        description: body.Description ?? null,
        outputConfig: { bucket: body.OutputConfig.S3Location.Bucket, prefix: body.OutputConfig.S3Location.Prefix ?? null },
        kmsKeyId: body.KmsKeyId ?? null,
        tags: Object.fromEntries((body.Tags ?? []).map((t) => [t.Key, t.Value])),
      });
      return { ModelMetadata: modelMetadata(req.scope, p, m, null) };
    },
  },
  {
    name: 'ListModels',
    method: 'GET',
    path: MODELS,
    status: 200,
    async handle(req) {
      const p = project(req);
      const { items, next } = page(req, req.projects.models.list(p), `models/${p}`);
      const models = await Promise.all(items.map(async (m) => modelMetadata(req.scope, p, m, await req.projects.models.header(p, m))));
      return { Models: models, NextToken: next };
    },
  },
  {
    name: 'DescribeModel',
    method: 'GET',
    path: MODEL,
    status: 200,
    async handle(req) {
      const p = project(req);
      const m = req.projects.models.model(p, version(req));
      return { ModelDescription: modelDescription(req.scope, p, m, await req.projects.models.header(p, m)) };
    },
  },
  {
    name: 'DeleteModel',
    method: 'DELETE',
    path: MODEL,
    status: 202,
    async handle(req) {
      const p = project(req);
      const m = await req.projects.models.delete(p, check(modelVersionNoLatest, req.labels.modelVersion, 'modelVersion'));
      return { ModelArn: modelArn(req.scope, p, m.version) };
    },
  },
  {
    name: 'StartModel',
    method: 'POST',
    path: START,
    status: 202,
    async handle(req) {
      const body = check(startModelBody, jsonBody(req));
      const status = await req.projects.models.start(project(req), version(req), { min: body.MinInferenceUnits, max: body.MaxInferenceUnits ?? null });
      return { Status: status };
    },
  },
  {
    name: 'StopModel',
    method: 'POST',
    path: STOP,
    status: 202,
    async handle(req) {
      return { Status: await req.projects.models.stop(project(req), version(req)) };
    },
  },
];
