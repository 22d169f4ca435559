import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdempotencyStore, TOKEN_TTL_MS } from '../../src/projects/idempotency';

/** Client tokens, in process: the same token and parameters replay the answer; other parameters conflict. */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-units-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('client tokens', () => {
  const resource = { type: 'PROJECT', id: 'p' };

  test('replay the first answer, conflict on other parameters, expire after 8 hours, survive reopening', async () => {
    const path = join(dir, 'tokens.json');
    const store = await IdempotencyStore.open(path);
    let calls = 0;
    const work = async () => ({ status: 200, body: { n: ++calls } });
    const t0 = 1_000_000;
    expect(await store.run('CreateProject', 'tok', { a: 1 }, resource, work, t0)).toEqual({ status: 200, body: { n: 1 } });
    expect(await store.run('CreateProject', 'tok', { a: 1 }, resource, work, t0 + 1000)).toEqual({ status: 200, body: { n: 1 } });
    await expect(store.run('CreateProject', 'tok', { a: 2 }, resource, work, t0 + 1000)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
      details: { resourceType: 'PROJECT' },
    });
    // The same token for another operation is another request.
    expect((await store.run('DeleteProject', 'tok', { a: 2 }, resource, work, t0)).body).toEqual({ n: 2 });

    const reopened = await IdempotencyStore.open(path);
    expect((await reopened.run('CreateProject', 'tok', { a: 1 }, resource, work, t0 + 2000)).body).toEqual({ n: 1 });
    expect((await reopened.run('CreateProject', 'tok', { a: 2 }, resource, work, t0 + TOKEN_TTL_MS + 1)).body).toEqual({ n: 3 });
  });

  test('a duplicate arriving while the first runs waits for it; a failure is not remembered', async () => {
    const store = await IdempotencyStore.open(join(dir, 'tokens2.json'));
    let release!: () => void;
    let calls = 0;
    const slow = () => new Promise<{ status: number; body: unknown }>((r) => (release = () => r({ status: 202, body: { n: ++calls } })));
    const a = store.run('CreateModel', 'dup', {}, resource, slow);
    const b = store.run('CreateModel', 'dup', {}, resource, slow);
    release();
    expect(await a).toEqual(await b);
    expect(calls).toBe(1);
    await expect(store.run('StartModel', 'fails', {}, resource, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await store.run('StartModel', 'fails', {}, resource, async () => ({ status: 202, body: 'ok' }))).body).toBe('ok');
    expect((await store.run('StartModel', undefined, {}, resource, async () => ({ status: 202, body: 'no token' }))).body).toBe('no token');
  });
});
