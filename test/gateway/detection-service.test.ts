import pino from 'pino';
import type { BackendDetection, DetectorBackend, ModelInfo } from '../../src/detection/backends/backend';
import { MemoryCache } from '../../src/detection/cache/memory-cache';
import { detectionId } from '../../src/detection/detection-id';
import { DetectionService } from '../../src/detection/detection-service';
import type { ImageInput } from '../../src/detection/image-input';

/** The detection path's coordination, with a scripted detector behind the Detector seam. */

const model: ModelInfo = { projectName: 'p', version: '1', status: 'HOSTED', type: 'CLASSIFICATION', createdAt: null, performance: null, anomalyTypes: [] };

function gatedBackend() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const backend: DetectorBackend & { calls: number } = {
    id: 'scripted',
    calls: 0,
    listProjects: async () => ['p'],
    listModels: async () => [model],
    describeModel: async (_p, v) => (v === 'latest' || v === '1' ? model : null),
    async detect(): Promise<BackendDetection> {
      this.calls++;
      await gate;
      return { isAnomalous: true, confidence: 0.9 };
    },
    ready: async () => ({ ok: true }),
    close: async () => {},
  };
  return { backend, release };
}

const image: ImageInput = { bytes: Buffer.from('x'), sha256: 'a'.repeat(64), header: { format: 'png', width: 64, height: 64 }, orientation: 'exif' };

test('one caller giving up does not fail the others sharing the detection', async () => {
  const { backend, release } = gatedBackend();
  const service = new DetectionService(backend, new MemoryCache(1 << 20), { ttlSeconds: 60, lockMs: 5_000, log: pino({ level: 'silent' }) });
  const leaving = new AbortController();
  const first = service.detect(image, 'p', 'latest', leaving.signal);
  const second = service.detect(image, 'p', '1');
  await new Promise((r) => setImmediate(r));
  leaving.abort();
  await expect(first).rejects.toMatchObject({ code: 'ABORTED' });
  release();
  await expect(second).resolves.toMatchObject({ cached: false, detection: { isAnomalous: true, version: '1' } });
  expect(backend.calls).toBe(1);
  await expect(service.detect(image, 'p', '1')).resolves.toMatchObject({ cached: true });
});

test('a lock held elsewhere is waited on, and its result is used', async () => {
  const { backend, release } = gatedBackend();
  const cache = new MemoryCache(1 << 20);
  const a = new DetectionService(backend, cache, { ttlSeconds: 60, lockMs: 5_000, log: pino({ level: 'silent' }), pollMs: 5 });
  const b = new DetectionService(backend, cache, { ttlSeconds: 60, lockMs: 5_000, log: pino({ level: 'silent' }), pollMs: 5 });
  const fromA = a.detect(image, 'p', '1');
  await new Promise((r) => setTimeout(r, 20));
  const fromB = b.detect(image, 'p', '1'); // another "replica": separate in-process flights, shared cache
  await new Promise((r) => setTimeout(r, 20));
  release();
  await expect(fromA).resolves.toMatchObject({ cached: false });
  await expect(fromB).resolves.toMatchObject({ cached: true });
  expect(backend.calls).toBe(1);
});

test('a holder that never finishes does not block others beyond the lock time', async () => {
  const { backend } = gatedBackend(); // never released: the first call hangs
  const cache = new MemoryCache(1 << 20);
  await cache.lock(detectionId(image.sha256, 'scripted', 'p', '1'), 10_000);
  const quick = { ...backend, calls: 0, detect: async () => ({ isAnomalous: false, confidence: 0.7 }) };
  const service = new DetectionService(quick, cache, { ttlSeconds: 60, lockMs: 100, log: pino({ level: 'silent' }), pollMs: 10 });
  await expect(service.detect(image, 'p', '1')).resolves.toMatchObject({ cached: false, detection: { isAnomalous: false } });
});

test('a model made again under the same name and version does not inherit the old one’s cached answers', async () => {
  let current: ModelInfo = { ...model, createdAt: new Date(1_000) };
  let calls = 0;
  const backend: DetectorBackend = {
    ...gatedBackend().backend,
    describeModel: async () => current,
    detect: async () => ({ isAnomalous: ++calls > 1, confidence: 0.8 }),
  };
  const service = new DetectionService(backend, new MemoryCache(1 << 20), { ttlSeconds: 60, lockMs: 1_000, log: pino({ level: 'silent' }) });
  expect(await service.detect(image, 'p', '1')).toMatchObject({ cached: false, detection: { isAnomalous: false } });
  expect(await service.detect(image, 'p', '1')).toMatchObject({ cached: true });
  current = { ...model, createdAt: new Date(2_000) }; // project deleted and recreated: version 1 again
  expect(await service.detect(image, 'p', '1')).toMatchObject({ cached: false, detection: { isAnomalous: true } });
});

test('a model that is not HOSTED is refused before the cache, even for an image it answered before', async () => {
  let current: ModelInfo = model;
  const backend: DetectorBackend = {
    ...gatedBackend().backend,
    describeModel: async () => current,
    detect: async () => ({ isAnomalous: false, confidence: 0.8 }),
  };
  const service = new DetectionService(backend, new MemoryCache(1 << 20), { ttlSeconds: 60, lockMs: 1_000, log: pino({ level: 'silent' }) });
  await service.detect(image, 'p', '1');
  current = { ...model, status: 'TRAINED' };
  await expect(service.detect(image, 'p', '1')).rejects.toMatchObject({ code: 'MODEL_NOT_RUNNING', details: { resourceType: 'MODEL', resourceId: 'p/1' } });
});
