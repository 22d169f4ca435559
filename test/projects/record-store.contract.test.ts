import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { FileRecords } from '../../src/projects/file-records';
import { openRecords } from '../../src/projects/open-records';
import { isStale, type RecordStore } from '../../src/projects/record-store';
import type { DatasetRecord, ModelRecord, ProjectRecord } from '../../src/projects/records';
import { freshDatabase } from '../helpers/postgres';

/**
 * One contract, both record stores: what the registry relies on whether its records are files
 * under DATA_DIR or rows in PostgreSQL.
 */

const log = pino({ level: 'silent' });
const project = (name: string, tags: Record<string, string> = {}): ProjectRecord => ({ name, createdAt: 1700000000000, tags, lastVersion: 0 });
const dataset = (type: 'train' | 'test', lines: number): DatasetRecord => ({
  type,
  createdAt: 1,
  updatedAt: 2,
  status: 'CREATE_COMPLETE',
  statusMessage: 'Created.',
  entries: Array.from({ length: lines }, (_, i) => ({ line: `{"source-ref":"s3://b/${i}.png"}`, base: null, createdAt: 3 })),
});
const model = (version: string, status: ModelRecord['status']): ModelRecord => ({
  version,
  createdAt: 5,
  status,
  statusMessage: null,
  description: 'a model',
  outputConfig: { bucket: 'out', prefix: null },
  kmsKeyId: null,
  tags: {},
  minInferenceUnits: null,
  maxInferenceUnits: null,
  evaluation: null,
  job: null,
});

const stores: [string, () => Promise<{ store: RecordStore; reopen: () => Promise<RecordStore>; cleanup: () => Promise<void> }>][] = [
  [
    'files',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'lookout-records-'));
      return { store: new FileRecords(dir), reopen: async () => new FileRecords(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
  [
    'postgres',
    async () => {
      const db = await freshDatabase();
      const open = () => openRecords({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: 4 }, '/nonexistent', log);
      const opened: RecordStore[] = [];
      const track = async () => {
        const s = await open();
        opened.push(s);
        return s;
      };
      return {
        store: await track(),
        reopen: track,
        cleanup: async () => {
          for (const s of opened) await s.close();
          await db.drop();
        },
      };
    },
  ],
];

const stale = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return isStale(err);
  }
  return false;
};

describe.each(stores)('%s record store', (_kind, make) => {
  let made: Awaited<ReturnType<(typeof stores)[number][1]>>;
  beforeEach(async () => {
    made = await make();
  });
  afterEach(() => made.cleanup());

  test('keeps a project with its datasets and models, as read again by a new instance', async () => {
    const { store } = made;
    expect(await store.saveProject(project('parts', { line: '3' }), null)).toBe(1);
    expect(await store.saveDataset('parts', dataset('train', 3), null)).toBe(1);
    expect(await store.saveModel('parts', model('1', 'TRAINING'), null)).toBe(1);
    expect(await store.saveModel('parts', model('1', 'TRAINED'), 1)).toBe(2);
    const again = await made.reopen();
    const [p] = await again.loadAll();
    expect(p.project).toEqual(project('parts', { line: '3' }));
    expect(p.datasets.map((d) => d.record)).toEqual([dataset('train', 3)]);
    expect(p.models.map((m) => m.record.status)).toEqual(['TRAINED']);
    expect(await again.loadProject('nothing')).toBeNull();
  });

  test('refuses a write or delete made on a stale revision, and a second creation', async () => {
    const { store } = made;
    await store.saveProject(project('parts'), null);
    expect(await stale(store.saveProject(project('parts'), null))).toBe(true);
    await store.saveModel('parts', model('1', 'TRAINED'), null);
    await store.saveModel('parts', model('1', 'STARTING_HOSTING'), 1);
    // A replica that read revision 1 (TRAINED) and would start it again:
    expect(await stale(store.saveModel('parts', model('1', 'STARTING_HOSTING'), 1))).toBe(true);
    expect(await stale(store.deleteModel('parts', '1', 1))).toBe(true);
    expect((await store.loadProject('parts'))!.models[0].record.status).toBe('STARTING_HOSTING');
    await store.deleteModel('parts', '1', 2);
    expect((await store.loadProject('parts'))!.models).toEqual([]);
  });

  test('deleting a project deletes what is recorded under it', async () => {
    const { store } = made;
    await store.saveProject(project('parts'), null);
    await store.saveDataset('parts', dataset('test', 1), null);
    await store.deleteDataset('parts', 'test', 1);
    await store.saveDataset('parts', dataset('train', 1), null);
    await store.saveModel('parts', model('2', 'TRAINED'), null);
    await store.deleteProject('parts', 1);
    expect(await store.loadAll()).toEqual([]);
    await store.saveProject(project('parts'), null);
    expect((await store.loadProject('parts'))!.models).toEqual([]);
  });

  test('answers a ping', async () => {
    expect(await made.store.ping()).toBe(true);
  });
});

describe('postgres record store across replicas', () => {
  test("each replica hears the other's changes, not its own", async () => {
    const db = await freshDatabase();
    const a = await openRecords({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: 2 }, '/nonexistent', log);
    const b = await openRecords({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: 2 }, '/nonexistent', log);
    try {
      const heardByA: (string | null)[] = [];
      const heardByB: (string | null)[] = [];
      a.watch((p) => heardByA.push(p));
      b.watch((p) => heardByB.push(p));
      // Each listener first reports "anything may have changed" once it listens.
      await poll(() => heardByA.includes(null) && heardByB.includes(null));
      await a.saveProject(project('parts'), null);
      await poll(() => heardByB.includes('parts'));
      expect(heardByA.filter((p) => p !== null)).toEqual([]);
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });

  test('a database that cannot be reached at start is a clear error', async () => {
    await expect(openRecords({ DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/none', DATABASE_POOL_SIZE: 1 }, '/x', log)).rejects.toThrow(
      /cannot use the database at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none: .*ECONNREFUSED/,
    );
  });
});

async function poll(ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
