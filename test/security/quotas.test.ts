import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateModelCommand, CreateProjectCommand, ServiceQuotaExceededException, UpdateDatasetEntriesCommand } from '@aws-sdk/client-lookoutvision';
import { startGateway, type Running } from '../gateway/helpers';
import { client, createTrainDataset, LFV_ACCESS_KEYS, thrown, writeS3Dataset } from '../compat/helpers';

/** Quotas no ordinary user meets, lowered here to show they hold: queued trainings and dataset size. */

let dir: string;
let gw: Running;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-quota-'));
  gw = await startGateway(join(dir, 'data'), {
    LFV_ACCESS_KEYS,
    S3_BUCKETS: `quota-bucket=${join(dir, 'bucket')}`,
    MAX_QUEUED_TRAININGS: '2',
    MAX_DATASET_IMAGES: '12',
  });
});

afterAll(async () => {
  await gw?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a third queued training and a dataset past its size are ServiceQuotaExceededException', async () => {
  const lfv = client(gw.url);
  try {
    const key = await writeS3Dataset(join(dir, 'bucket'), 'quota-bucket', 'q', 8, 4);
    await lfv.send(new CreateProjectCommand({ ProjectName: 'q' }));
    await createTrainDataset(lfv, 'q', 'quota-bucket', key);
    const more = [0, 1].map((i) =>
      JSON.stringify({ 'source-ref': `s3://quota-bucket/q/images/anomaly-${i}-mask.png`, 'anomaly-label-metadata': { 'class-name': 'normal' } }),
    );
    const tooBig = await thrown(() =>
      lfv.send(new UpdateDatasetEntriesCommand({ ProjectName: 'q', DatasetType: 'train', Changes: Buffer.from(more.join('\n')) })),
    );
    expect(tooBig).toBeInstanceOf(ServiceQuotaExceededException);
    expect(tooBig.message).toMatch(/at most 12 images \(MAX_DATASET_IMAGES\); this one would hold 14/);

    const output = { S3Location: { Bucket: 'quota-out' } };
    for (let i = 0; i < 2; i++) await lfv.send(new CreateModelCommand({ ProjectName: 'q', OutputConfig: output }));
    const third = await thrown(() => lfv.send(new CreateModelCommand({ ProjectName: 'q', OutputConfig: output })));
    expect(third).toBeInstanceOf(ServiceQuotaExceededException);
    expect(third.message).toMatch(/MAX_QUEUED_TRAININGS/);
  } finally {
    lfv.destroy();
  }
});
