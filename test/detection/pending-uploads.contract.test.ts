import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { MemoryUploads } from '../../src/detection/uploads/memory-uploads';
import { RedisUploads } from '../../src/detection/uploads/redis-uploads';
import { newUploadId, type PendingUpload, type PendingUploads } from '../../src/detection/uploads/pending-uploads';
import { eventually } from '../helpers/eventually';

/**
 * Both stores of out-of-band uploads keep the same promises: state moves are atomic (of two
 * concurrent claims exactly one wins), a used upload has no bytes left, and an expired one is
 * gone with its bytes. The Redis one runs against the real server.
 */

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(REDIS_URL, { lazyConnect: true });
const prefix = `test-uploads-${randomBytes(4).toString('hex')}:`;

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

function upload(overrides: Partial<PendingUpload> = {}): PendingUpload {
  return {
    id: newUploadId(),
    owner: 'line-7',
    projectName: 'cookies',
    contentType: 'image/png',
    byteLength: 4,
    expiresAt: Date.now() + 60_000,
    state: 'WAITING',
    storage: 'gateway',
    ...overrides,
  };
}

describe.each([
  ['memory', () => new MemoryUploads(1024 * 1024)],
  ['redis', () => new RedisUploads(redis, prefix)],
] as const)('%s store', (_kind, make: () => PendingUploads) => {
  let store: PendingUploads;
  beforeAll(async () => {
    if (redis.status === 'wait') await redis.connect();
    store = make();
  });

  test('an upload goes WAITING -> READY with its bytes, and reads back as created', async () => {
    const u = upload();
    await store.create(u);
    expect(await store.get(u.id)).toEqual(u);
    expect(await store.bytes(u.id)).toBeNull();
    expect(await store.putBytes(u.id, Buffer.from([1, 2, 3, 4]), 'abc')).toBe('WAITING');
    expect(await store.get(u.id)).toEqual({ ...u, state: 'READY', sha256: 'abc' });
    expect(await store.bytes(u.id)).toEqual(Buffer.from([1, 2, 3, 4]));
    // A second PUT is told the state it found and changes nothing.
    expect(await store.putBytes(u.id, Buffer.from([9, 9, 9, 9]), 'def')).toBe('READY');
    expect(await store.bytes(u.id)).toEqual(Buffer.from([1, 2, 3, 4]));
  });

  test('of concurrent claims exactly one wins; USED deletes the bytes', async () => {
    const u = upload();
    await store.create(u);
    await store.putBytes(u.id, Buffer.from([1, 2, 3, 4]), 'abc');
    const found = await Promise.all(Array.from({ length: 8 }, () => store.transition(u.id, 'READY', 'CLAIMED')));
    expect(found.filter((f) => f === 'READY')).toHaveLength(1);
    expect(found.filter((f) => f === 'CLAIMED')).toHaveLength(7);
    expect(await store.transition(u.id, 'CLAIMED', 'USED')).toBe('CLAIMED');
    expect(await store.bytes(u.id)).toBeNull();
    expect((await store.get(u.id))?.state).toBe('USED');
    expect(await store.transition(u.id, 'READY', 'CLAIMED')).toBe('USED');
  });

  test('unknown uploads are null everywhere', async () => {
    const id = newUploadId();
    expect(await store.get(id)).toBeNull();
    expect(await store.putBytes(id, Buffer.from([1]), 'x')).toBeNull();
    expect(await store.transition(id, 'READY', 'CLAIMED')).toBeNull();
  });

  test('at its expiry an upload is gone, bytes and all', async () => {
    const u = upload({ expiresAt: Date.now() + 400 });
    await store.create(u);
    await store.putBytes(u.id, Buffer.from([1, 2, 3, 4]), 'abc');
    expect(await store.bytes(u.id)).not.toBeNull();
    const after = await eventually(
      async () => [await store.get(u.id), await store.bytes(u.id)],
      ([record, bytes]) => record === null && bytes === null,
    );
    expect(after).toEqual([null, null]);
    if (store instanceof RedisUploads) expect(await redis.exists(`${prefix}upload:${u.id}`, `${prefix}upload:${u.id}:bytes`)).toBe(0);
  });
});

test('the memory store refuses uploads beyond its room, and frees the room of expired ones', async () => {
  const store = new MemoryUploads(1024 * 1024);
  await store.create(upload({ byteLength: 700 * 1024, expiresAt: Date.now() + 300 }));
  await expect(store.create(upload({ byteLength: 400 * 1024 }))).rejects.toMatchObject({ code: 'THROTTLED' });
  const created = await eventually(
    () =>
      store.create(upload({ byteLength: 400 * 1024 })).then(
        () => true,
        () => false,
      ),
    (ok) => ok,
  );
  expect(created).toBe(true);
  await store.close();
});
