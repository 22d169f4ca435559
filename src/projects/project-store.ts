import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { modelHeaderSchema, type ModelHeader } from '../engine/model/model-header';
import { MODEL_HEADER_FILE } from '../engine/model/model-store';
import { readJson } from './atomic-file';
import { LocalArtifacts, type ModelArtifacts } from './model-artifacts';
import { isStale, revisionKey, type RecordStore, type StoredProject } from './record-store';
import type { DatasetRecord, DatasetType, ModelRecord, ProjectRecord } from './records';

export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;
/** A concrete model version: "1", "2", ... (never "latest"). */
export const VERSION_PATTERN = /^[1-9][0-9]{0,9}$/;

export interface ProjectState {
  project: ProjectRecord;
  datasets: Map<DatasetType, DatasetRecord>;
  /** By version. */
  models: Map<string, ModelRecord>;
  /** Headers of trained models, read once (a header never changes after training). */
  headers: Map<string, ModelHeader>;
  /** Each stored record's revision as read (record-store.ts); absent: not stored yet. */
  revisions: Map<string, number>;
}

export function emptyState(project: ProjectRecord): ProjectState {
  return { project, datasets: new Map(), models: new Map(), headers: new Map(), revisions: new Map() };
}

export const projectDir = (dataDir: string, project: string) => join(dataDir, 'projects', project);
export const modelDir = (dataDir: string, project: string, version: string) => join(projectDir(dataDir, project), 'models', version);

async function names(dir: string): Promise<{ name: string; isDir: boolean }[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => !d.name.startsWith('.')).map((d) => ({ name: d.name, isDir: d.isDirectory() }));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function readHeader(dir: string): Promise<ModelHeader | null> {
  try {
    return await readJson(join(dir, MODEL_HEADER_FILE), modelHeaderSchema);
  } catch {
    return null;
  }
}

/**
 * The registry's view of every project: the records (from a RecordStore: files under DATA_DIR,
 * or PostgreSQL shared by replicas) joined with the model folders on this disk. Every change is
 * written to the store before it is visible here, so a restart reloads exactly what clients were
 * last told; a change another replica makes is read again when the store announces it.
 */
export class ProjectStore {
  readonly projects = new Map<string, ProjectState>();

  constructor(
    readonly dataDir: string,
    readonly records: RecordStore,
    readonly artifacts: ModelArtifacts = new LocalArtifacts(),
  ) {}

  async load(): Promise<void> {
    this.projects.clear();
    const stored = new Map((await this.records.loadAll()).map((p) => [p.project.name, p]));
    const names = new Set([...stored.keys(), ...(await folders(join(this.dataDir, 'projects')))]);
    for (const name of names) if (NAME_PATTERN.test(name)) await this.assemble(name, stored.get(name) ?? null);
  }

  /** Reads one project again from the store (another replica changed it, or a write found it stale). */
  async refresh(name: string): Promise<string[]> {
    if (!NAME_PATTERN.test(name)) return [];
    const previous = this.projects.get(name);
    const stored = await this.records.loadProject(name);
    if (previous) await this.dropDeletedElsewhere(previous, stored);
    const state = await this.assemble(name, stored);
    return [...new Set([...(previous?.models.keys() ?? []), ...(state?.models.keys() ?? [])])];
  }

  /**
   * Files this replica kept of a project or model another replica deleted (models it fetched,
   * images): left behind, they would bring it back as if trained outside the registry.
   */
  private async dropDeletedElsewhere(previous: ProjectState, stored: StoredProject | null): Promise<void> {
    const name = previous.project.name;
    if (!stored) {
      if (previous.revisions.has(revisionKey.project)) await rm(projectDir(this.dataDir, name), { recursive: true, force: true });
      return;
    }
    const kept = new Set(stored.models.map((m) => m.record.version));
    for (const version of previous.models.keys()) {
      if (previous.revisions.has(revisionKey.model(version)) && !kept.has(version))
        await rm(modelDir(this.dataDir, name, version), { recursive: true, force: true });
    }
  }

  /** A project's records joined with its model folders; models another tool (the CLI) put there are served. */
  private async assemble(name: string, stored: StoredProject | null): Promise<ProjectState | null> {
    const dir = projectDir(this.dataDir, name);
    let since: number | null = null;
    try {
      since = (await stat(dir)).mtimeMs;
    } catch {
      // No folder: a project with records only (a replica that has not trained it), or none.
    }
    if (!stored && since === null) {
      this.projects.delete(name);
      return null;
    }
    const previous = this.projects.get(name);
    const state = emptyState(stored?.project ?? { name, createdAt: Math.round(since ?? Date.now()), tags: {}, lastVersion: 0 });
    // A header never changes once trained; keep those already read.
    if (previous) for (const [v, h] of previous.headers) state.headers.set(v, h);
    if (stored) {
      state.revisions.set(revisionKey.project, stored.revision);
      for (const d of stored.datasets) {
        state.datasets.set(d.record.type, d.record);
        state.revisions.set(revisionKey.dataset(d.record.type), d.revision);
      }
      for (const m of stored.models) {
        if (!VERSION_PATTERN.test(m.record.version)) continue;
        state.models.set(m.record.version, m.record);
        state.revisions.set(revisionKey.model(m.record.version), m.revision);
      }
    }
    for (const e of await names(join(dir, 'models'))) {
      if (!e.isDir || !VERSION_PATTERN.test(e.name) || state.models.has(e.name)) continue;
      // A model with no lifecycle record was trained outside the registry: it is served.
      const header = state.headers.get(e.name) ?? (await readHeader(modelDir(this.dataDir, name, e.name)));
      if (header) state.headers.set(e.name, header);
      state.models.set(e.name, legacyRecord(e.name, header, since ?? Date.now()));
    }
    state.project.lastVersion = Math.max(state.project.lastVersion, ...[...state.models.keys()].map(Number));
    this.projects.set(name, state);
    return state;
  }

  /**
   * Picks up what another tool (the CLI) put in the data folder since start-up: a new project,
   * or new model folders in a known one. Known records are never replaced, because lifecycle
   * operations in flight hold them.
   */
  async discover(name: string): Promise<void> {
    if (!NAME_PATTERN.test(name)) return;
    const known = this.projects.get(name);
    if (!known) {
      await this.assemble(name, await this.records.loadProject(name));
      return;
    }
    for (const e of await names(join(projectDir(this.dataDir, name), 'models'))) {
      if (!e.isDir || !VERSION_PATTERN.test(e.name) || known.models.has(e.name)) continue;
      const header = await readHeader(modelDir(this.dataDir, name, e.name));
      if (!header) continue; // being trained by the registry itself, or not a model
      known.headers.set(e.name, header);
      known.models.set(e.name, legacyRecord(e.name, header, Date.now()));
      known.project.lastVersion = Math.max(known.project.lastVersion, Number(e.name));
    }
  }

  get(name: string): ProjectState | undefined {
    return this.projects.get(name);
  }

  async header(project: string, version: string): Promise<ModelHeader | null> {
    const state = this.projects.get(project);
    if (!state) return null;
    const known = state.headers.get(version);
    if (known) return known;
    // Only a header that exists is remembered: asked mid-training, the answer changes later.
    const dir = modelDir(this.dataDir, project, version);
    let header = await readHeader(dir);
    // Trained on another replica: its files are fetched from the model storage on first use.
    if (!header && this.artifacts.kind !== 'local' && (await this.artifacts.fetch(project, version, dir))) header = await readHeader(dir);
    if (header) state.headers.set(version, header);
    return header;
  }

  async saveProject(state: ProjectState): Promise<void> {
    const name = state.project.name;
    const current = this.projects.get(name);
    let revision: number;
    try {
      revision = await this.records.saveProject(state.project, (current ?? state).revisions.get(revisionKey.project) ?? null);
    } catch (err) {
      // A new project's folder without its record would come back as a project at the next start.
      if (!current && !isStale(err)) await rm(projectDir(this.dataDir, name), { recursive: true, force: true });
      throw err;
    }
    // Callers hand a changed copy (tags) or the project itself; the view keeps one object per project.
    const target = current ?? state;
    target.project = state.project;
    target.revisions.set(revisionKey.project, revision);
    this.projects.set(name, target);
  }

  /** A project known only from its folder (the demo model) gets its record before anything is recorded under it. */
  private async recorded(project: string): Promise<ProjectState | undefined> {
    const state = this.projects.get(project);
    if (state && !state.revisions.has(revisionKey.project)) await this.saveProject(state);
    return state;
  }

  async saveDataset(project: string, d: DatasetRecord): Promise<void> {
    const state = await this.recorded(project);
    const key = revisionKey.dataset(d.type);
    const revision = await this.records.saveDataset(project, d, state?.revisions.get(key) ?? null);
    state?.datasets.set(d.type, d);
    state?.revisions.set(key, revision);
  }

  async deleteDataset(project: string, type: DatasetType): Promise<void> {
    const state = this.projects.get(project);
    const key = revisionKey.dataset(type);
    await this.records.deleteDataset(project, type, state?.revisions.get(key) ?? null);
    state?.datasets.delete(type);
    state?.revisions.delete(key);
  }

  async saveModel(project: string, m: ModelRecord): Promise<void> {
    const state = await this.recorded(project);
    const key = revisionKey.model(m.version);
    const revision = await this.records.saveModel(project, m, state?.revisions.get(key) ?? null);
    state?.models.set(m.version, m);
    state?.revisions.set(key, revision);
  }

  async deleteModel(project: string, version: string): Promise<void> {
    // The files go first: a crash in between leaves a record whose files are gone, which
    // startup finishes deleting, rather than files nobody knows about.
    await rm(modelDir(this.dataDir, project, version), { recursive: true, force: true });
    await this.artifacts.remove(project, version);
    const state = this.projects.get(project);
    const key = revisionKey.model(version);
    await this.records.deleteModel(project, version, state?.revisions.get(key) ?? null);
    state?.models.delete(version);
    state?.headers.delete(version);
    state?.revisions.delete(key);
  }

  async deleteProject(project: string): Promise<void> {
    await this.records.deleteProject(project, this.projects.get(project)?.revisions.get(revisionKey.project) ?? null);
    await rm(projectDir(this.dataDir, project), { recursive: true, force: true });
    this.projects.delete(project);
  }
}

async function folders(dir: string): Promise<string[]> {
  return (await names(dir)).filter((e) => e.isDir).map((e) => e.name);
}

function legacyRecord(version: string, header: ModelHeader | null, fallbackTime: number): ModelRecord {
  return {
    version,
    createdAt: header ? Date.parse(header.createdAt) : Math.round(fallbackTime),
    status: header ? 'HOSTED' : 'TRAINING_FAILED',
    statusMessage: header ? null : 'The model files cannot be read.',
    description: null,
    outputConfig: { bucket: 'lookout-gateway', prefix: null },
    kmsKeyId: null,
    tags: {},
    minInferenceUnits: null,
    maxInferenceUnits: null,
    evaluation: null,
    job: null,
  };
}
