import { FileRecords } from '../../src/projects/file-records';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { modelInfo } from '../../src/detection/backends/model-info';
import { EnginePool } from '../../src/engine/worker/engine-pool';
import { AppError } from '../../src/errors';
import { Buckets } from '../../src/projects/locations';
import { ModelLifecycle } from '../../src/projects/model-lifecycle';
import { ProjectStore } from '../../src/projects/project-store';
import { ProjectRegistry } from '../../src/projects/registry';
import { writeS3Dataset } from '../compat/helpers';

/**
 * The model lifecycle alone, in process, on the real engine: the statuses Lookout for Vision
 * defined, written to disk before anyone sees them, and the transitions it refused. The engine is
 * wrapped only to hold a training at a chosen moment and to make one load fail.
 */

let dir: string;
let pool: EnginePool;
let registry: ProjectRegistry;
let models: ModelLifecycle;
let releaseTraining: () => void;
let failLoads = false;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-lifecycle-'));
  const key = await writeS3Dataset(join(dir, 'bucket'), 'life', 'parts', 12, 4);
  pool = new EnginePool({ threads: 1 });
  const store = new ProjectStore(join(dir, 'data'), new FileRecords(join(dir, 'data')));
  await store.load();
  const buckets = new Buckets({ life: join(dir, 'bucket') }, join(dir, 'data'));
  registry = new ProjectRegistry(store, {
    scope: { region: 'us-east-1', accountId: '000000000000' },
    buckets,
    maxProjects: 10,
    maxDatasetImages: 1000,
    maxQueuedTrainings: 10,
    files: { roots: buckets.roots(), maxBytes: 1 << 24 },
  });
  const held = new Promise<void>((r) => (releaseTraining = r));
  const engine = {
    train: async (...args: Parameters<EnginePool['train']>) => {
      await held;
      return pool.train(...args);
    },
    load: (d: string) => (failLoads ? Promise.reject(new AppError('MODEL_CORRUPT', 'The memory bank has the wrong size.')) : pool.load(d)),
    unload: (d: string) => pool.unload(d),
  };
  models = new ModelLifecycle(registry, engine, pino({ level: 'silent' }));
  await registry.createProject('parts');
  await registry.createDataset('parts', 'train', { bucket: 'life', key });
});

afterAll(async () => {
  models?.closing();
  await pool?.close();
  await rm(dir, { recursive: true, force: true });
});

const onDisk = async (version: string) => JSON.parse(await readFile(join(dir, 'data', 'projects', 'parts', 'models', `${version}.json`), 'utf8'));
const output = { bucket: 'life', prefix: 'eval/' };

test('a model goes TRAINING -> TRAINED -> HOSTED -> TRAINED -> deleted, refusing what the service refused', async () => {
  const m = await models.create('parts', { description: null, outputConfig: output, kmsKeyId: null, tags: {} });
  expect(m).toMatchObject({ version: '1', status: 'TRAINING' });
  // Written before the caller hears of it: a crash now resumes this training.
  expect((await onDisk('1')).status).toBe('TRAINING');
  await expect(models.delete('parts', '1')).rejects.toMatchObject({ code: 'RESOURCE_CONFLICT' });
  await expect(models.stop('parts', '1')).rejects.toMatchObject({ code: 'RESOURCE_CONFLICT' });
  expect(await modelInfo(models, 'parts', models.model('parts', 'latest'))).toMatchObject({ status: 'TRAINING', type: null, performance: null });

  releaseTraining();
  await models.settled();
  const trained = await modelInfo(models, 'parts', models.model('parts', '1'));
  expect(trained).toMatchObject({ status: 'TRAINED', type: 'SEGMENTATION' });
  expect(trained.performance!.testNormalImages).toBeGreaterThan(0);

  await models.ensureHosted('parts', '1');
  expect(models.model('parts', '1').status).toBe('HOSTED');
  await expect(models.delete('parts', '1')).rejects.toMatchObject({ code: 'RESOURCE_CONFLICT' });
  await models.stop('parts', '1');
  await models.settled();
  expect(models.model('parts', '1').status).toBe('TRAINED');
  await models.delete('parts', '1');
  expect(() => models.model('parts', '1')).toThrow(expect.objectContaining({ code: 'MODEL_NOT_FOUND' }));
}, 120_000);

test('a model that cannot load is HOSTING_FAILED, and whoever waits on it hears why', async () => {
  await models.create('parts', { description: null, outputConfig: output, kmsKeyId: null, tags: {} });
  await models.settled();
  failLoads = true;
  try {
    await expect(models.ensureHosted('parts', '2')).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
    expect(models.model('parts', '2')).toMatchObject({ status: 'HOSTING_FAILED', statusMessage: 'The memory bank has the wrong size.' });
  } finally {
    failLoads = false;
  }
  // Starting again after the cause is gone works.
  await models.ensureHosted('parts', '2');
  expect(models.model('parts', '2').status).toBe('HOSTED');
}, 120_000);
