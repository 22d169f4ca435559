import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { IdempotencyStore, TOKEN_TTL_MS } from '../../src/projects/idempotency';
import { openState } from '../../src/projects/open-records';
import { FileTokens } from '../../src/projects/token-records';
import { freshDatabase } from '../helpers/postgres';

/** Client tokens: the same token and parameters replay the answer; other parameters conflict; in a file or in PostgreSQL. */

let dir: string;
let db: Awaited<ReturnType<typeof freshDatabase>>;
const opened: { records: { close(): Promise<void> } }[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lookout-units-'));
  db = await freshDatabase();
});
afterAll(async () => {
  for (const o of opened) await o.records.close();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

/** Opens the tokens at `where` again, as a restarted gateway (or another replica) would. */
const kinds: [string, (where: string) => Promise<IdempotencyStore>][] = [
  ['file', async (where) => new IdempotencyStore(await FileTokens.open(join(dir, `${where}.json`)))],
  [
    'postgres',
    async () => {
      const state = await openState({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: 2 }, dir, pino({ level: 'silent' }));
      opened.push(state);
      return new IdempotencyStore(state.tokens);
    },
  ],
];

describe.each(kinds)('client tokens in a %s', (_kind, open) => {
  const resource = { type: 'PROJECT', id: 'p' };

  test('replay the first answer, conflict on other parameters, expire after 8 hours, survive reopening', async () => {
    const store = await open('tokens');
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

    const reopened = await open('tokens');
    expect((await reopened.run('CreateProject', 'tok', { a: 1 }, resource, work, t0 + 2000)).body).toEqual({ n: 1 });
    expect((await reopened.run('CreateProject', 'tok', { a: 2 }, resource, work, t0 + TOKEN_TTL_MS + 1)).body).toEqual({ n: 3 });
  });

  test('a duplicate arriving while the first runs waits for it; a failure is not remembered', async () => {
    const store = await open('tokens2');
    let release: (() => void) | undefined;
    let calls = 0;
    const slow = () => new Promise<{ status: number; body: unknown }>((r) => (release = () => r({ status: 202, body: { n: ++calls } })));
    const a = store.run('CreateModel', 'dup', {}, resource, slow);
    const b = store.run('CreateModel', 'dup', {}, resource, slow);
    // The work starts once the stored tokens have been asked.
    while (!release) await new Promise((r) => setTimeout(r, 5));
    release();
    expect(await a).toEqual(await b);
    expect(calls).toBe(1);
    await expect(store.run('StartModel', 'fails', {}, resource, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await store.run('StartModel', 'fails', {}, resource, async () => ({ status: 202, body: 'ok' }))).body).toBe('ok');
    expect((await store.run('StartModel', undefined, {}, resource, async () => ({ status: 202, body: 'no token' }))).body).toBe('no token');
  });
});
