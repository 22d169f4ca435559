import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConflictException,
  CreateDatasetCommand,
  CreateModelCommand,
  CreateProjectCommand,
  DeleteDatasetCommand,
  DeleteModelCommand,
  DeleteProjectCommand,
  DescribeDatasetCommand,
  DescribeModelCommand,
  DescribeProjectCommand,
  DetectAnomaliesCommand,
  ListDatasetEntriesCommand,
  ListModelsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  StartModelCommand,
  StopModelCommand,
  UpdateDatasetEntriesCommand,
  ValidationException,
  paginateListDatasetEntries,
  type LookoutVisionClient,
} from '@aws-sdk/client-lookoutvision';
import sharp from 'sharp';
import { defectFor, jpeg, png, textureRgb } from '../helpers/images';
import { startGateway, type Running } from '../gateway/helpers';
import { client, createTrainDataset, LFV_ACCESS_KEYS, thrown, waitForStatus, writeS3Dataset } from './helpers';

/**
 * The whole model lifecycle through @aws-sdk/client-lookoutvision@3.918.0, over real HTTP,
 * against the gateway on port 0 with signature checking on: what a user's existing code does
 * after changing its endpoint.
 */

let dir: string;
let gw: Running;
let lfv: LookoutVisionClient;
const BUCKET = 'lfv-bucket';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-compat-'));
  gw = await startGateway(join(dir, 'data'), { LFV_ACCESS_KEYS, S3_BUCKETS: `${BUCKET}=${join(dir, 'bucket')}` });
  lfv = client(gw.url);
});

afterAll(async () => {
  lfv?.destroy();
  await gw?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('create, fill, train, start, detect, stop and delete, as the service did', async () => {
  const key = await writeS3Dataset(join(dir, 'bucket'), BUCKET, 'cookies', 16, 8);
  const project = (await lfv.send(new CreateProjectCommand({ ProjectName: 'cookies' }))).ProjectMetadata!;
  expect(project).toMatchObject({ ProjectName: 'cookies', ProjectArn: 'arn:aws:lookoutvision:us-east-1:000000000000:project/cookies' });
  expect(project.CreationTimestamp).toBeInstanceOf(Date);
  expect(Math.abs(project.CreationTimestamp!.getTime() - Date.now())).toBeLessThan(60_000);

  const created = await createTrainDataset(lfv, 'cookies', BUCKET, key);
  expect(created.$metadata.httpStatusCode).toBe(202);
  expect(created.DatasetMetadata).toMatchObject({ DatasetType: 'train', Status: 'CREATE_COMPLETE' });
  const described = (await lfv.send(new DescribeDatasetCommand({ ProjectName: 'cookies', DatasetType: 'train' }))).DatasetDescription!;
  expect(described.ImageStats).toEqual({ Total: 24, Labeled: 24, Normal: 16, Anomaly: 8 });
  expect((await lfv.send(new DescribeProjectCommand({ ProjectName: 'cookies' }))).ProjectDescription!.Datasets).toEqual([
    expect.objectContaining({ DatasetType: 'train', Status: 'CREATE_COMPLETE' }),
  ]);

  // Entries page through NextToken, and filter as the service's query members say.
  const lines: string[] = [];
  for await (const p of paginateListDatasetEntries({ client: lfv, pageSize: 5 }, { ProjectName: 'cookies', DatasetType: 'train' })) {
    expect(p.DatasetEntries!.length).toBeLessThanOrEqual(5);
    lines.push(...p.DatasetEntries!);
  }
  expect(lines).toHaveLength(24);
  expect(new Set(lines.map((l) => JSON.parse(l)['source-ref'])).size).toBe(24);
  const anomalies = await lfv.send(new ListDatasetEntriesCommand({ ProjectName: 'cookies', DatasetType: 'train', AnomalyClass: 'anomaly' }));
  expect(anomalies.DatasetEntries).toHaveLength(8);
  const one = await lfv.send(new ListDatasetEntriesCommand({ ProjectName: 'cookies', DatasetType: 'train', SourceRefContains: 'normal-3.png' }));
  expect(one.DatasetEntries).toHaveLength(1);

  // UpdateDatasetEntries: one new normal image and one relabelled (normal-15 becomes unlabelled).
  const relabel = JSON.parse(lines.find((l) => l.includes('normal-15.png'))!);
  relabel['anomaly-label-metadata']['class-name'] = 'unknown';
  // Any readable PNG will do as a new normal image; a mask file is one.
  const added = { ...JSON.parse(lines.find((l) => l.includes('normal-0.png'))!), 'source-ref': `s3://${BUCKET}/cookies/images/anomaly-0-mask.png` };
  const badAdd = { 'source-ref': `s3://${BUCKET}/cookies/images/missing.png`, 'anomaly-label-metadata': { 'class-name': 'normal' } };
  // An entry pointing at nothing is refused whole, and nothing changes.
  const refused = await thrown(() =>
    lfv.send(new UpdateDatasetEntriesCommand({ ProjectName: 'cookies', DatasetType: 'train', Changes: Buffer.from(JSON.stringify(badAdd)) })),
  );
  expect(refused).toBeInstanceOf(ValidationException);
  expect(refused.message).toMatch(/missing\.png/);
  const upd = await lfv.send(
    new UpdateDatasetEntriesCommand({
      ProjectName: 'cookies',
      DatasetType: 'train',
      Changes: Buffer.from([JSON.stringify(relabel), JSON.stringify(added)].join('\n')),
    }),
  );
  expect(upd.$metadata.httpStatusCode).toBe(202);
  expect(upd.Status).toBe('UPDATE_COMPLETE');
  expect((await lfv.send(new DescribeDatasetCommand({ ProjectName: 'cookies', DatasetType: 'train' }))).DatasetDescription!.ImageStats).toEqual({
    Total: 25,
    Labeled: 24,
    Normal: 16,
    Anomaly: 8,
  });

  // CreateModel trains in the background: 202 and TRAINING at once, TRAINED later.
  const cm = await lfv.send(
    new CreateModelCommand({
      ProjectName: 'cookies',
      Description: 'first-try',
      OutputConfig: { S3Location: { Bucket: 'unmapped-output', Prefix: 'eval/' } },
      Tags: [{ Key: 'line', Value: '3' }],
    }),
  );
  expect(cm.$metadata.httpStatusCode).toBe(202);
  expect(cm.ModelMetadata).toMatchObject({
    ModelVersion: '1',
    Status: 'TRAINING',
    Description: 'first-try',
    ModelArn: 'arn:aws:lookoutvision:us-east-1:000000000000:model/cookies/1',
  });
  // Listed mid-training (no figures yet), and again once trained (figures there).
  expect((await lfv.send(new ListModelsCommand({ ProjectName: 'cookies' }))).Models![0].Performance).toBeUndefined();
  const trained = await waitForStatus(lfv, 'cookies', '1', ['TRAINED', 'TRAINING_FAILED']);
  expect(trained.StatusMessage).toBe('Training completed successfully.');
  expect(trained.Status).toBe('TRAINED');
  expect(trained.Performance!.F1Score).toBeGreaterThan(0.5);
  expect(trained.Performance!.Recall).toBeGreaterThan(0);
  expect(trained.OutputConfig).toEqual({ S3Location: { Bucket: 'unmapped-output', Prefix: 'eval/' } });
  // An unmapped output bucket is a folder under the data directory, not an error.
  const evaluation = JSON.parse(await readFile(join(dir, 'data', 's3', trained.EvaluationResult!.Bucket!, trained.EvaluationResult!.Key!), 'utf8'));
  expect(evaluation.AggregatedEvaluationResults.Metrics.F1Score).toBeCloseTo(trained.Performance!.F1Score!, 6);
  const listed = (await lfv.send(new ListModelsCommand({ ProjectName: 'cookies' }))).Models!;
  expect(listed.map((m) => [m.ModelVersion, m.Status])).toEqual([['1', 'TRAINED']]);
  expect(listed[0].Performance).toEqual(trained.Performance);

  // Not hosted yet: the service's rule is a ConflictException naming the model.
  const image = await png(textureRgb(900, [defectFor(3)]));
  const notHosted = await thrown(() =>
    lfv.send(new DetectAnomaliesCommand({ ProjectName: 'cookies', ModelVersion: '1', Body: image, ContentType: 'image/png' })),
  );
  expect(notHosted).toBeInstanceOf(ConflictException);
  expect(notHosted).toMatchObject({ ResourceType: 'MODEL', ResourceId: 'cookies/1' });
  expect(notHosted.$metadata.httpStatusCode).toBe(409);

  const started = await lfv.send(new StartModelCommand({ ProjectName: 'cookies', ModelVersion: 'latest', MinInferenceUnits: 1 }));
  expect(started.$metadata.httpStatusCode).toBe(202);
  expect(started.Status).toBe('STARTING_HOSTING');
  const hosted = await waitForStatus(lfv, 'cookies', '1', ['HOSTED', 'HOSTING_FAILED']);
  expect(hosted).toMatchObject({ Status: 'HOSTED', MinInferenceUnits: 1 });

  const r = (await lfv.send(new DetectAnomaliesCommand({ ProjectName: 'cookies', ModelVersion: 'latest', Body: image, ContentType: 'image/png' })))
    .DetectAnomalyResult!;
  expect(r.Source).toEqual({ Type: 'direct' });
  expect(r.IsAnomalous).toBe(true);
  expect(r.Confidence).toBeGreaterThan(0.5);
  expect(r.Anomalies![0].Name).toBe('background');
  expect(r.Anomalies!.map((a) => a.Name)).toContain('cracked');
  expect(r.Anomalies!.find((a) => a.Name === 'cracked')!.PixelAnomaly!.Color).toBe('#23A436');
  const mask = await sharp(Buffer.from(r.AnomalyMask!)).metadata();
  expect([mask.format, mask.width, mask.height]).toEqual(['png', 128, 128]);

  const clean = (
    await lfv.send(new DetectAnomaliesCommand({ ProjectName: 'cookies', ModelVersion: '1', Body: await jpeg(textureRgb(901)), ContentType: 'image/jpeg' }))
  ).DetectAnomalyResult!;
  expect(clean.IsAnomalous).toBe(false);
  expect(clean.Anomalies!.map((a) => a.Name)).toEqual(['background']);

  const badType = await thrown(() =>
    lfv.send(new DetectAnomaliesCommand({ ProjectName: 'cookies', ModelVersion: '1', Body: image, ContentType: 'image/gif' })),
  );
  expect(badType).toBeInstanceOf(ValidationException);
  expect(badType.message).toBe('content-type must be one of the following. image/jpeg, image/png');
  // Bad bodies: not an image, a truncated one, a decompression bomb, one over the size limit.
  const bomb = await sharp({ create: { width: 15000, height: 15000, channels: 3, background: '#fff' } })
    .png({ compressionLevel: 9 })
    .toBuffer();
  for (const [body, message] of [
    [Buffer.from('definitely not a png'), /PNG or JPEG/],
    [image.subarray(0, image.length / 2), /truncated|decoded/i],
    [bomb, /pixels|size/],
    [Buffer.concat([image, Buffer.alloc(9 * 1024 * 1024)]), /larger than/],
  ] as const) {
    const err = await thrown(() => lfv.send(new DetectAnomaliesCommand({ ProjectName: 'cookies', ModelVersion: '1', Body: body, ContentType: 'image/png' })));
    expect(err).toBeInstanceOf(ValidationException);
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.message).toMatch(message);
  }
  expect((await lfv.send(new ListTagsForResourceCommand({ ResourceArn: 'arn:aws:lookoutvision:us-east-1:000000000000:model/cookies/1' }))).Tags).toEqual([
    { Key: 'line', Value: '3' },
  ]);

  // A hosted model cannot be deleted; stop it first.
  const busy = await thrown(() => lfv.send(new DeleteModelCommand({ ProjectName: 'cookies', ModelVersion: '1' })));
  expect(busy).toBeInstanceOf(ConflictException);
  expect(busy.ResourceType).toBe('MODEL');
  const stopped = await lfv.send(new StopModelCommand({ ProjectName: 'cookies', ModelVersion: '1' }));
  expect([stopped.$metadata.httpStatusCode, stopped.Status]).toEqual([202, 'STOPPING_HOSTING']);
  await waitForStatus(lfv, 'cookies', '1', ['TRAINED']);
  expect(
    await thrown(() => lfv.send(new DetectAnomaliesCommand({ ProjectName: 'cookies', ModelVersion: '1', Body: image, ContentType: 'image/png' }))),
  ).toBeInstanceOf(ConflictException);

  const latestDelete = await thrown(() => lfv.send(new DeleteModelCommand({ ProjectName: 'cookies', ModelVersion: 'latest' })));
  expect(latestDelete).toBeInstanceOf(ValidationException);
  const deleted = await lfv.send(new DeleteModelCommand({ ProjectName: 'cookies', ModelVersion: '1' }));
  expect([deleted.$metadata.httpStatusCode, deleted.ModelArn]).toEqual([202, 'arn:aws:lookoutvision:us-east-1:000000000000:model/cookies/1']);
  const gone = await thrown(() => lfv.send(new DescribeModelCommand({ ProjectName: 'cookies', ModelVersion: '1' })));
  expect(gone).toBeInstanceOf(ResourceNotFoundException);
  expect(gone).toMatchObject({ ResourceType: 'MODEL', ResourceId: 'cookies/1' });

  // The project still holds its dataset: deleting it is refused until the dataset goes.
  expect(await thrown(() => lfv.send(new DeleteProjectCommand({ ProjectName: 'cookies' })))).toBeInstanceOf(ConflictException);
  expect((await lfv.send(new DeleteDatasetCommand({ ProjectName: 'cookies', DatasetType: 'train' }))).$metadata.httpStatusCode).toBe(202);
  expect((await lfv.send(new DeleteProjectCommand({ ProjectName: 'cookies' }))).ProjectArn).toBe(
    'arn:aws:lookoutvision:us-east-1:000000000000:project/cookies',
  );
  const noProject = await thrown(() => lfv.send(new DescribeProjectCommand({ ProjectName: 'cookies' })));
  expect(noProject).toBeInstanceOf(ResourceNotFoundException);
  expect(noProject.ResourceType).toBe('PROJECT');
});

test('a project with train and test datasets evaluates on the test set; an empty dataset fills through UpdateDatasetEntries; a training model cannot be deleted', async () => {
  const trainKey = await writeS3Dataset(join(dir, 'bucket'), BUCKET, 'two/train', 12, 0);
  const testKey = await writeS3Dataset(join(dir, 'bucket'), BUCKET, 'two/test', 6, 6);
  await lfv.send(new CreateProjectCommand({ ProjectName: 'two-sets' }));
  // The test set starts empty and is filled from the manifest's lines.
  await lfv.send(new CreateDatasetCommand({ ProjectName: 'two-sets', DatasetType: 'test' }));
  expect((await lfv.send(new DescribeDatasetCommand({ ProjectName: 'two-sets', DatasetType: 'test' }))).DatasetDescription!.ImageStats).toEqual({
    Total: 0,
    Labeled: 0,
    Normal: 0,
    Anomaly: 0,
  });
  await lfv.send(new UpdateDatasetEntriesCommand({ ProjectName: 'two-sets', DatasetType: 'test', Changes: await readFile(join(dir, 'bucket', testKey)) }));
  expect((await lfv.send(new DescribeDatasetCommand({ ProjectName: 'two-sets', DatasetType: 'test' }))).DatasetDescription!.ImageStats).toEqual({
    Total: 12,
    Labeled: 12,
    Normal: 6,
    Anomaly: 6,
  });
  await createTrainDataset(lfv, 'two-sets', BUCKET, trainKey);

  await lfv.send(
    new CreateModelCommand({ ProjectName: 'two-sets', OutputConfig: { S3Location: { Bucket: BUCKET, Prefix: 'out' } }, KmsKeyId: 'alias/ignored-here' }),
  );
  const training = await thrown(() => lfv.send(new DeleteModelCommand({ ProjectName: 'two-sets', ModelVersion: '1' })));
  expect(training).toBeInstanceOf(ConflictException);
  expect(training.message).toMatch(/TRAINING/);
  const m = await waitForStatus(lfv, 'two-sets', '1', ['TRAINED', 'TRAINING_FAILED']);
  expect(m).toMatchObject({ Status: 'TRAINED', KmsKeyId: 'alias/ignored-here' });
  // A mapped output bucket: the evaluation lands in its folder, and says which images it used.
  const evaluation = JSON.parse(await readFile(join(dir, 'bucket', m.EvaluationResult!.Key!), 'utf8'));
  expect(m.EvaluationResult!.Key).toMatch(/^out\/two-sets\//);
  expect(evaluation.EvaluationDetails.TestSource).toBe('test-dataset');
  expect(evaluation.TestImages).toEqual({ Normal: 6, Anomaly: 6 });
  // The evaluation manifest: each test image's own line with the model's verdict added.
  expect(m.EvaluationManifest!.Key).toMatch(/^out\/two-sets\/EvaluationManifest\/.+\.manifest$/);
  const rows = (await readFile(join(dir, 'bucket', m.EvaluationManifest!.Key!), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(rows).toHaveLength(12);
  for (const row of rows) {
    expect(row['source-ref']).toMatch(new RegExp(`^s3://${BUCKET}/two/test/images/`));
    expect(row['anomaly-label-detected-metadata'].confidence).toBeGreaterThanOrEqual(0.5);
  }
  // The verdicts agree with the figures DescribeModel reports.
  const anomalous = rows.filter((r) => r['anomaly-label-metadata']['class-name'] === 'anomaly');
  const found = anomalous.filter((r) => r['anomaly-label-detected'] === 1).length;
  expect(found / anomalous.length).toBeCloseTo(m.Performance!.Recall!, 5);
  const flagged = rows.filter((r) => r['anomaly-label-detected'] === 1).length;
  expect(found / flagged).toBeCloseTo(m.Performance!.Precision!, 5);
  expect(m.Performance!.Recall).toBeGreaterThan(0.5);

  // A classification model (no masks anywhere): DetectAnomalies leaves out Anomalies and AnomalyMask.
  await lfv.send(new StartModelCommand({ ProjectName: 'two-sets', ModelVersion: '1', MinInferenceUnits: 1 }));
  await waitForStatus(lfv, 'two-sets', '1', ['HOSTED']);
  const raw = await fetch(`${gw.url}/2020-11-20/projects/two-sets/models/1/detect`, {
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: new Uint8Array(await png(textureRgb(77))),
  });
  expect(raw.status).toBe(403); // unsigned: this gateway checks signatures
  const r = await lfv.send(
    new DetectAnomaliesCommand({ ProjectName: 'two-sets', ModelVersion: '1', Body: await png(textureRgb(77)), ContentType: 'image/png' }),
  );
  expect(Object.keys(r.DetectAnomalyResult!).sort()).toEqual(['Confidence', 'IsAnomalous', 'Source']);
});
