import { z } from 'zod';
import { NAME_PATTERN } from '../projects/project-store';
import { AppError } from '../errors';

/**
 * The service model's constraints (lookoutvision/2020-11-20), checked here because the SDKs do
 * not: botocore checks only required members, types and minimum lengths, and the JavaScript
 * SDK only that path labels are non-empty. Messages follow the service's own wording.
 */

const pattern = (re: RegExp, source: string) => (s: z.ZodString) => s.regex(re, `Member must satisfy regular expression pattern: ${source}`);
const len = (min: number, max: number) =>
  z.string().min(min, `Member must have length greater than or equal to ${min}`).max(max, `Member must have length less than or equal to ${max}`);

// The service's own pattern text in the message (scripts match on it); the rule is the store's.
export const projectName = pattern(NAME_PATTERN, '[a-zA-Z0-9][a-zA-Z0-9_\\-]*')(len(1, 255));
export const modelVersion = pattern(/^([1-9][0-9]*|latest)$/, '([1-9][0-9]*|latest)')(len(1, 10));
export const modelVersionNoLatest = pattern(/^[1-9][0-9]*$/, '([1-9][0-9]*)')(len(1, 10));
export const clientToken = pattern(/^[a-zA-Z0-9-]+$/, '^[a-zA-Z0-9-]+$')(len(1, 64));
export const datasetType = pattern(/^(train|test)$/, 'train|test')(len(1, 10)).transform((v) => v as 'train' | 'test');
const bucket = pattern(/^[0-9A-Za-z.\-_]*$/, '[0-9A-Za-z\\.\\-_]*')(len(3, 63));
const objectKeyPattern = /^([a-zA-Z0-9!_.*'()-][/a-zA-Z0-9!_.*'()-]*)?$/;
const objectKey = pattern(objectKeyPattern, "^([a-zA-Z0-9!_.*'()-][/a-zA-Z0-9!_.*'()-]*)?$")(len(1, 1024));
const keyPrefix = pattern(objectKeyPattern, "^([a-zA-Z0-9!_.*'()-][/a-zA-Z0-9!_.*'()-]*)?$")(len(0, 1024));
const tagText = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;
export const tagKey = pattern(tagText, '^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$')(len(1, 128));
const tagValue = pattern(tagText, '^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$')(len(0, 256));
export const tagList = z.array(z.object({ Key: tagKey, Value: tagValue })).max(200, 'Member must have length less than or equal to 200');
export const resourceArn = len(1, 1011);
const inferenceUnits = z.number().int('Member must be an integer').min(1, 'Member must have value greater than or equal to 1');

export const createProjectBody = z.object({ ProjectName: projectName });

export const createDatasetBody = z.object({
  DatasetType: datasetType,
  DatasetSource: z
    .object({ GroundTruthManifest: z.object({ S3Object: z.object({ Bucket: bucket, Key: objectKey, VersionId: len(1, 1024).optional() }) }) })
    .optional(),
});

export const updateEntriesBody = z.object({ Changes: z.string().min(1, 'Member must have length greater than or equal to 1') });

export const createModelBody = z.object({
  Description: pattern(/^[0-9A-Za-z.\-_]*$/, '[0-9A-Za-z\\.\\-_]*')(len(1, 500)).optional(),
  OutputConfig: z.object({ S3Location: z.object({ Bucket: bucket, Prefix: keyPrefix.optional() }) }),
  KmsKeyId: pattern(/^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$/, '^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$')(len(1, 2048)).optional(),
  Tags: tagList.optional(),
});

export const startModelBody = z.object({ MinInferenceUnits: inferenceUnits, MaxInferenceUnits: inferenceUnits.optional() });
export const tagResourceBody = z.object({ Tags: tagList });

/** Query members. */
export const maxResults = z.coerce
  .number()
  .int('Member must be an integer')
  .min(1, 'Member must have value greater than or equal to 1')
  .max(100, 'Member must have value less than or equal to 100');
export const nextToken = pattern(/^[a-zA-Z0-9/+=]{0,2048}$/, '^[a-zA-Z0-9\\/\\+\\=]{0,2048}$')(len(0, 2048));
export const booleanQuery = z.enum(['true', 'false'], 'Member must be true or false').transform((v) => v === 'true');
export const anomalyClass = pattern(/^(normal|anomaly)$/, '(normal|anomaly)')(len(1, 10)).transform((v) => v as 'normal' | 'anomaly');
export const isoTimestamp = z.string().transform((v, ctx) => {
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(t)) ctx.addIssue({ code: 'custom', message: 'Member must be an ISO-8601 timestamp' });
  return t;
});
export const sourceRefContains = pattern(/^.*\S.*$/, '.*\\S.*')(len(1, 2048));

/** Parses a value or throws the service's ValidationException wording, listing every problem. */
export function check<T>(schema: z.ZodType<T>, value: unknown, where = ''): T {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const path = [where, ...i.path.map(String)].filter(Boolean).join('.');
    const message = i.code === 'invalid_type' ? (i.input === undefined ? 'Member must not be null' : `Member must be of type ${i.expected}`) : i.message;
    const shown = typeof i.input === 'string' ? `Value '${i.input.slice(0, 100)}' at '${path}'` : `Value at '${path}'`;
    return `${shown} failed to satisfy constraint: ${message}`;
  });
  const n = problems.length;
  throw new AppError('BAD_USER_INPUT', `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.join('; ')}`);
}
