import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from './atomic-file';
import { StaleRecordError, revisionKey, type RecordStore, type Revision, type StoredProject } from './record-store';
import {
  DATASET_TYPES,
  datasetRecord,
  modelRecord,
  projectRecord,
  type DatasetRecord,
  type DatasetType,
  type ModelRecord,
  type ProjectRecord,
} from './records';

/**
 * Records as JSON files beside the models (the embedded default):
 *
 *   projects/<name>/project.json                the project (creation time, tags, last version)
 *   projects/<name>/datasets/<train|test>.json  a dataset: its manifest lines and status
 *   projects/<name>/models/<version>.json       a model's lifecycle (status, description, output)
 *
 * One process owns DATA_DIR (data-dir-lock.ts), so revisions are counted in memory: they
 * start at 1 when the files are read and only this process moves them.
 */
export class FileRecords implements RecordStore {
  readonly kind = 'files' as const;
  private readonly revisions = new Map<string, number>();

  constructor(private readonly dataDir: string) {}

  private dir(project: string): string {
    return join(this.dataDir, 'projects', project);
  }

  async loadAll(): Promise<StoredProject[]> {
    const out: StoredProject[] = [];
    for (const name of await folders(join(this.dataDir, 'projects'))) {
      const p = await this.loadProject(name);
      if (p) out.push(p);
    }
    return out;
  }

  async loadProject(name: string): Promise<StoredProject | null> {
    const dir = this.dir(name);
    const project = await readJson(join(dir, 'project.json'), projectRecord);
    if (!project) return null;
    const datasets: StoredProject['datasets'] = [];
    for (const type of DATASET_TYPES) {
      const record = await readJson(join(dir, 'datasets', `${type}.json`), datasetRecord);
      if (record) datasets.push({ record, revision: this.revision(name, revisionKey.dataset(type)) });
    }
    const models: StoredProject['models'] = [];
    for (const file of await files(join(dir, 'models'))) {
      const version = file.replace(/\.json$/, '');
      const record = await readJson(join(dir, 'models', file), modelRecord);
      if (record) models.push({ record, revision: this.revision(name, revisionKey.model(version)) });
    }
    return { project, datasets, models, revision: this.revision(name, revisionKey.project) };
  }

  private revision(project: string, key: string): number {
    const k = `${project}/${key}`;
    const known = this.revisions.get(k);
    if (known) return known;
    this.revisions.set(k, 1);
    return 1;
  }

  /** Checks the expected revision and returns the next one (taken only once the write lands). */
  private next(project: string, key: string, expected: Revision): { key: string; revision: number } {
    const k = `${project}/${key}`;
    const current = this.revisions.get(k) ?? null;
    if (current !== expected) throw new StaleRecordError(project, key);
    return { key: k, revision: (current ?? 0) + 1 };
  }

  private async write(project: string, key: string, expected: Revision, path: string, value: unknown): Promise<number> {
    const n = this.next(project, key, expected);
    await writeJsonAtomic(path, value);
    this.revisions.set(n.key, n.revision);
    return n.revision;
  }

  saveProject(record: ProjectRecord, expected: Revision): Promise<number> {
    return this.write(record.name, revisionKey.project, expected, join(this.dir(record.name), 'project.json'), record);
  }

  saveDataset(project: string, record: DatasetRecord, expected: Revision): Promise<number> {
    return this.write(project, revisionKey.dataset(record.type), expected, join(this.dir(project), 'datasets', `${record.type}.json`), record);
  }

  saveModel(project: string, record: ModelRecord, expected: Revision): Promise<number> {
    return this.write(project, revisionKey.model(record.version), expected, join(this.dir(project), 'models', `${record.version}.json`), record);
  }

  async deleteDataset(project: string, type: DatasetType, expected: Revision): Promise<void> {
    const n = this.next(project, revisionKey.dataset(type), expected);
    await rm(join(this.dir(project), 'datasets', `${type}.json`), { force: true });
    this.revisions.delete(n.key);
  }

  async deleteModel(project: string, version: string, expected: Revision): Promise<void> {
    const n = this.next(project, revisionKey.model(version), expected);
    await rm(join(this.dir(project), 'models', `${version}.json`), { force: true });
    this.revisions.delete(n.key);
  }

  async deleteProject(name: string, expected: Revision): Promise<void> {
    this.next(name, revisionKey.project, expected);
    await rm(this.dir(name), { recursive: true, force: true });
    for (const k of [...this.revisions.keys()]) if (k.startsWith(`${name}/`)) this.revisions.delete(k);
  }

  /** Nobody else writes these files. */
  watch(): void {}

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}
}

async function folders(dir: string): Promise<string[]> {
  return (await list(dir)).filter((d) => d.isDirectory()).map((d) => d.name);
}

async function files(dir: string): Promise<string[]> {
  return (await list(dir)).filter((d) => d.isFile() && d.name.endsWith('.json')).map((d) => d.name);
}

async function list(dir: string) {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => !d.name.startsWith('.'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
