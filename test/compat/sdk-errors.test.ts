import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConflictException,
  CreateModelCommand,
  CreateProjectCommand,
  DescribeModelCommand,
  DescribeProjectCommand,
  ListModelsCommand,
  ListProjectsCommand,
  ListTagsForResourceCommand,
  LookoutVisionServiceException,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  ValidationException,
  paginateListProjects,
  type LookoutVisionClient,
} from '@aws-sdk/client-lookoutvision';
import { startGateway, type Running } from '../gateway/helpers';
import { ACCESS_KEY, client, createTrainDataset, LFV_ACCESS_KEYS, signedFetch, thrown, waitForStatus, writeS3Dataset } from './helpers';

/**
 * Errors as the SDK parses them, validation the SDK does not do, signatures, idempotent
 * retries and pagination. Every refused request must leave the state as it was.
 */

let dir: string;
let gw: Running;
let lfv: LookoutVisionClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-compat-err-'));
  gw = await startGateway(join(dir, 'data'), { LFV_ACCESS_KEYS, S3_BUCKETS: `input-bucket=${join(dir, 'bucket')}` });
  lfv = client(gw.url);
  await lfv.send(new CreateProjectCommand({ ProjectName: 'existing' }));
});

afterAll(async () => {
  lfv?.destroy();
  await gw?.stop();
  await rm(dir, { recursive: true, force: true });
});

const projectNames = async () => (await lfv.send(new ListProjectsCommand({}))).Projects!.map((p) => p.ProjectName).sort();

test('the wire: x-amzn-RequestId everywhere, bare exception names, modelled fields, epoch-second timestamps', async () => {
  const ok = await signedFetch(gw.url, 'GET', '/2020-11-20/projects/existing');
  expect(ok.status).toBe(200);
  expect(ok.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  expect(typeof ok.body.ProjectDescription.CreationTimestamp).toBe('number');
  expect(ok.body.ProjectDescription.CreationTimestamp).toBeCloseTo(Date.now() / 1000, -3);

  const missing = await signedFetch(gw.url, 'GET', '/2020-11-20/projects/nowhere/models/3');
  expect(missing.status).toBe(404);
  expect(missing.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
  expect(missing.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  expect(missing.body).toEqual({ __type: 'ResourceNotFoundException', Message: expect.any(String), ResourceId: 'nowhere', ResourceType: 'PROJECT' });

  const unsigned = await fetch(`${gw.url}/2020-11-20/projects`);
  expect(unsigned.status).toBe(403);
  expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  expect(unsigned.headers.get('x-amzn-requestid')).toBeTruthy();
});

test('unknown project and unknown model are ResourceNotFoundException with their ResourceType', async () => {
  const p = await thrown(() => lfv.send(new DescribeModelCommand({ ProjectName: 'nowhere', ModelVersion: '1' })));
  expect(p).toBeInstanceOf(ResourceNotFoundException);
  expect(p).toMatchObject({ ResourceType: 'PROJECT', ResourceId: 'nowhere' });
  const m = await thrown(() => lfv.send(new DescribeModelCommand({ ProjectName: 'existing', ModelVersion: 'latest' })));
  expect(m).toBeInstanceOf(ResourceNotFoundException);
  expect(m.ResourceType).toBe('MODEL');
});

test.each([
  [
    'a name breaking the pattern',
    () => new CreateProjectCommand({ ProjectName: 'bad name!' }),
    /at 'ProjectName' failed to satisfy constraint: Member must satisfy regular expression pattern/,
  ],
  ['a name too long', () => new CreateProjectCommand({ ProjectName: 'x'.repeat(256) }), /Member must have length less than or equal to 255/],
  ['MaxResults above 100', () => new ListProjectsCommand({ MaxResults: 101 }), /maxResults.*less than or equal to 100/],
  [
    'a description with spaces',
    () => new CreateModelCommand({ ProjectName: 'existing', Description: 'has spaces', OutputConfig: { S3Location: { Bucket: 'out' } } }),
    /Description/,
  ],
  ['a bucket name too short', () => new CreateModelCommand({ ProjectName: 'existing', OutputConfig: { S3Location: { Bucket: 'ab' } } }), /Bucket/],
  ['a model version that is not a number', () => new DescribeModelCommand({ ProjectName: 'existing', ModelVersion: 'v2' }), /modelVersion/],
  [
    'a tag key too long',
    () =>
      new TagResourceCommand({ ResourceArn: 'arn:aws:lookoutvision:us-east-1:000000000000:project/existing', Tags: [{ Key: 'k'.repeat(129), Value: 'v' }] }),
    /Key/,
  ],
])('%s is a ValidationException and changes nothing', async (_what, command, message) => {
  const before = await projectNames();
  const err = await thrown(() => lfv.send(command() as never));
  expect(err).toBeInstanceOf(ValidationException);
  expect(err.$metadata.httpStatusCode).toBe(400);
  expect(err.message).toMatch(message);
  expect(await projectNames()).toEqual(before);
  expect((await lfv.send(new ListTagsForResourceCommand({ ResourceArn: 'arn:aws:lookoutvision:us-east-1:000000000000:project/existing' }))).Tags).toEqual([]);
});

test.each([
  ['malformed JSON', '{"ProjectName": "half', /not valid JSON/],
  ['a wrong type', JSON.stringify({ ProjectName: 5 }), /ProjectName.*Member must be of type string/],
  ['a missing member', JSON.stringify({}), /ProjectName.*must not be null/],
  ['a body over the limit', JSON.stringify({ ProjectName: 'big', Padding: 'x'.repeat(2 * 1024 * 1024) }), /larger than/],
])('%s (sent raw, signed) is a ValidationException and changes nothing', async (_what, body, message) => {
  const before = await projectNames();
  const r = await signedFetch(gw.url, 'POST', '/2020-11-20/projects', { body });
  expect(r.status).toBe(400);
  expect(r.headers.get('x-amzn-errortype')).toBe('ValidationException');
  expect(r.body.__type).toBe('ValidationException');
  expect(r.body.Message).toMatch(message);
  expect(await projectNames()).toEqual(before);
});

describe('signatures', () => {
  const create = JSON.stringify({ ProjectName: 'sneaky' });

  test('a wrong secret is InvalidSignatureException through the SDK', async () => {
    const forged = client(gw.url, { ...ACCESS_KEY, secretAccessKey: 'not-the-secret-0123456789abcdef' });
    const err = await thrown(() => forged.send(new CreateProjectCommand({ ProjectName: 'sneaky' })));
    forged.destroy();
    expect(err).toBeInstanceOf(LookoutVisionServiceException);
    expect(err.name).toBe('InvalidSignatureException');
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.message).toMatch(/signature we calculated does not match/);
  });

  test('an unknown access key is UnrecognizedClientException', async () => {
    const stranger = client(gw.url, { accessKeyId: 'AKIASTRANGER00000000', secretAccessKey: ACCESS_KEY.secretAccessKey });
    const err = await thrown(() => stranger.send(new ListProjectsCommand({})));
    stranger.destroy();
    expect([err.name, err.$metadata.httpStatusCode]).toEqual(['UnrecognizedClientException', 403]);
  });

  test('a signature older than 15 minutes has expired', async () => {
    const r = await signedFetch(gw.url, 'POST', '/2020-11-20/projects', { body: create, signingDate: new Date(Date.now() - 20 * 60_000) });
    expect([r.status, r.headers.get('x-amzn-errortype')]).toEqual([403, 'InvalidSignatureException']);
    expect(r.body.Message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
  });

  test('a body changed after signing is refused', async () => {
    const r = await signedFetch(gw.url, 'POST', '/2020-11-20/projects', { body: create, tamper: () => Buffer.from(JSON.stringify({ ProjectName: 'other' })) });
    expect([r.status, r.headers.get('x-amzn-errortype')]).toEqual([403, 'InvalidSignatureException']);
  });

  test('a header the client did not sign may change; a signed one may not', async () => {
    const signedToken = { headers: { 'x-amzn-client-token': 'token-a' }, body: create };
    const changed = await signedFetch(gw.url, 'POST', '/2020-11-20/projects', { ...signedToken, afterSigning: { 'x-amzn-client-token': 'token-b' } });
    expect([changed.status, changed.headers.get('x-amzn-errortype')]).toEqual([403, 'InvalidSignatureException']);
    const query = await signedFetch(gw.url, 'GET', '/2020-11-20/projects', {
      query: { maxResults: '5' },
      afterSigning: { 'user-agent': 'something-else/1.0' },
    });
    expect(query.status).toBe(200);
    expect(query.body.Projects.length).toBeLessThanOrEqual(5);
  });

  afterAll(async () => {
    expect(await projectNames()).not.toContain('sneaky');
    expect(await projectNames()).not.toContain('other');
  });
});

test('a retried request with the same client token gets the first answer; other parameters conflict', async () => {
  const token = 'retry-token-0001';
  const first = await signedFetch(gw.url, 'POST', '/2020-11-20/projects', {
    body: JSON.stringify({ ProjectName: 'once' }),
    headers: { 'x-amzn-client-token': token },
  });
  const again = await signedFetch(gw.url, 'POST', '/2020-11-20/projects', {
    body: JSON.stringify({ ProjectName: 'once' }),
    headers: { 'x-amzn-client-token': token },
  });
  expect(first.status).toBe(200);
  expect(again.body).toEqual(first.body);
  const other = await lfv.send(new CreateProjectCommand({ ProjectName: 'twice', ClientToken: token })).catch((e) => e);
  expect(other).toBeInstanceOf(ConflictException);
  expect(await projectNames()).not.toContain('twice');
  // Without a token (or with a fresh one) a second create is the service's plain conflict.
  const dup = await thrown(() => lfv.send(new CreateProjectCommand({ ProjectName: 'once' })));
  expect(dup).toBeInstanceOf(ConflictException);
  expect(dup).toMatchObject({ ResourceType: 'PROJECT', ResourceId: 'once' });
});

test('a client token breaking its pattern is a ValidationException before anything runs', async () => {
  const r = await signedFetch(gw.url, 'POST', '/2020-11-20/projects', {
    body: JSON.stringify({ ProjectName: 'tokened' }),
    headers: { 'x-amzn-client-token': 'not a token!' },
  });
  expect([r.status, r.body.__type]).toEqual([400, 'ValidationException']);
  expect(r.body.Message).toMatch(/at 'clientToken' failed to satisfy constraint/);
  expect(await projectNames()).not.toContain('tokened');
});

test('a retried CreateModel trains one model, not two', async () => {
  const key = await writeS3Dataset(join(dir, 'bucket'), 'input-bucket', 'retry', 8, 0);
  await lfv.send(new CreateProjectCommand({ ProjectName: 'retry' }));
  await createTrainDataset(lfv, 'retry', 'input-bucket', key);
  const input = { ProjectName: 'retry', OutputConfig: { S3Location: { Bucket: 'out-bucket' } }, ClientToken: 'create-model-0001' };
  const a = await lfv.send(new CreateModelCommand(input));
  const b = await lfv.send(new CreateModelCommand(input));
  expect(b.ModelMetadata!.ModelVersion).toBe(a.ModelMetadata!.ModelVersion);
  expect((await lfv.send(new ListModelsCommand({ ProjectName: 'retry' }))).Models).toHaveLength(1);
  await waitForStatus(lfv, 'retry', '1', ['TRAINED']);
  const c = await lfv.send(new CreateModelCommand({ ...input, ClientToken: 'create-model-0002' }));
  expect(c.ModelMetadata!.ModelVersion).toBe('2');
  await waitForStatus(lfv, 'retry', '2', ['TRAINED']);
});

test('ListProjects pages through NextToken; a forged token is refused', async () => {
  for (let i = 0; i < 7; i++) await lfv.send(new CreateProjectCommand({ ProjectName: `page-${i}` }));
  const seen: string[] = [];
  let pages = 0;
  for await (const p of paginateListProjects({ client: lfv, pageSize: 3 }, {})) {
    pages++;
    expect(p.Projects!.length).toBeLessThanOrEqual(3);
    seen.push(...p.Projects!.map((x) => x.ProjectName!));
  }
  expect(seen).toEqual(await projectNames());
  expect(pages).toBe(Math.ceil(seen.length / 3));
  const bad = await thrown(() => lfv.send(new ListProjectsCommand({ NextToken: Buffer.from('models/x\u00002').toString('base64') })));
  expect(bad).toBeInstanceOf(ValidationException);
});

test('tags on a project: add, list, remove; an unknown ARN is ResourceNotFoundException', async () => {
  const arn = 'arn:aws:lookoutvision:us-east-1:000000000000:project/existing';
  await lfv.send(
    new TagResourceCommand({
      ResourceArn: arn,
      Tags: [
        { Key: 'team', Value: 'qa' },
        { Key: 'line', Value: '7' },
      ],
    }),
  );
  expect((await lfv.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags).toEqual([
    { Key: 'team', Value: 'qa' },
    { Key: 'line', Value: '7' },
  ]);
  await lfv.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['team', 'absent'] }));
  expect((await lfv.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: 'line', Value: '7' }]);
  await lfv.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['line'] }));
  const err = await thrown(() => lfv.send(new ListTagsForResourceCommand({ ResourceArn: 'arn:aws:lookoutvision:us-east-1:000000000000:model/existing/9' })));
  expect(err).toBeInstanceOf(ResourceNotFoundException);
  expect(err.ResourceType).toBe('MODEL');
  expect((await lfv.send(new DescribeProjectCommand({ ProjectName: 'existing' }))).ProjectDescription!.ProjectName).toBe('existing');
});
