import { tagList } from '../encode';
import { jsonBody, type Operation, type OperationRequest } from '../operation';
import { check, resourceArn, tagKey, tagResourceBody } from '../shapes';
import { z } from 'zod';

const TAGS = /^\/2020-11-20\/tags\/(?<resourceArn>.+)$/;
const arn = (req: OperationRequest) => check(resourceArn, req.labels.resourceArn, 'resourceArn');

export const tagOperations: Operation[] = [
  {
    name: 'TagResource',
    method: 'POST',
    path: TAGS,
    status: 200,
    async handle(req) {
      const { Tags } = check(tagResourceBody, jsonBody(req));
      await req.projects.registry.tag(arn(req), Object.fromEntries(Tags.map((t) => [t.Key, t.Value])));
      return {};
    },
  },
  {
    name: 'UntagResource',
    method: 'DELETE',
    path: TAGS,
    status: 200,
    async handle(req) {
      const keys = check(z.array(tagKey).max(200, 'Member must have length less than or equal to 200'), req.query.getAll('tagKeys'), 'tagKeys');
      await req.projects.registry.untag(arn(req), keys);
      return {};
    },
  },
  {
    name: 'ListTagsForResource',
    method: 'GET',
    path: TAGS,
    status: 200,
    async handle(req) {
      return { Tags: tagList(req.projects.registry.listTags(arn(req))) };
    },
  },
];
