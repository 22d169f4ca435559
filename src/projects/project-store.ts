import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { modelHeaderSchema, type ModelHeader } from '../engine/model/model-header';
import { readJson, writeJsonAtomic } from './atomic-file';
import {
  datasetRecord,
  modelRecord,
  projectRecord,
  DATASET_TYPES,
  type DatasetRecord,
  type DatasetType,
  type ModelRecord,
  type ProjectRecord,
} from './records';

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
    return await readJson(join(dir, 'model.json'), modelHeaderSchema);
  } catch {
    return null;
  }
}

/**
 * The registry's state, in memory and on disk. Every change is written through before it is
 * visible to anyone, so a restart reloads exactly what clients were last told.
 */
export class ProjectStore {
  readonly projects = new Map<string, ProjectState>();

  constructor(readonly dataDir: string) {}

  async load(): Promise<void> {
    this.projects.clear();
    for (const { name, isDir } of await names(join(this.dataDir, 'projects'))) {
      if (isDir && NAME_PATTERN.test(name)) await this.loadProject(name);
    }
  }

  /** Reads one project's folder, including models another tool (the CLI) put there. */
  private async loadProject(name: string): Promise<ProjectState | null> {
    const dir = projectDir(this.dataDir, name);
    let since: number;
    try {
      since = (await stat(dir)).mtimeMs;
    } catch {
      this.projects.delete(name);
      return null;
    }
    const project = (await readJson(join(dir, 'project.json'), projectRecord)) ?? { name, createdAt: Math.round(since), tags: {}, lastVersion: 0 };
    const state: ProjectState = { project, datasets: new Map(), models: new Map(), headers: new Map() };
    for (const type of DATASET_TYPES) {
      const d = await readJson(join(dir, 'datasets', `${type}.json`), datasetRecord);
      if (d) state.datasets.set(type, d);
    }
    const entries = await names(join(dir, 'models'));
    for (const e of entries) {
      const version = e.isDir ? e.name : e.name.replace(/\.json$/, '');
      if (!VERSION_PATTERN.test(version) || state.models.has(version)) continue;
      const record = await readJson(join(dir, 'models', `${version}.json`), modelRecord);
      if (record) state.models.set(version, record);
      else if (e.isDir) {
        // A model with no lifecycle record was trained outside the registry: it is served.
        const header = await readHeader(modelDir(this.dataDir, name, version));
        if (header) state.headers.set(version, header);
        state.models.set(version, legacyRecord(version, header, since));
      }
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
      await this.loadProject(name);
      return;
    }
    for (const e of await names(join(projectDir(this.dataDir, name), 'models'))) {
      if (!e.isDir || !VERSION_PATTERN.test(e.name) || known.models.has(e.name)) continue;
      if (await readJson(join(projectDir(this.dataDir, name), 'models', `${e.name}.json`), modelRecord)) continue; // being made by the registry itself
      const header = await readHeader(modelDir(this.dataDir, name, e.name));
      if (!header) continue;
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
    const header = await readHeader(modelDir(this.dataDir, project, version));
    if (header) state.headers.set(version, header);
    return header;
  }

  async saveProject(state: ProjectState): Promise<void> {
    const dir = projectDir(this.dataDir, state.project.name);
    const isNew = !this.projects.has(state.project.name);
    try {
      await writeJsonAtomic(join(dir, 'project.json'), state.project);
    } catch (err) {
      // A new project's folder without its record would come back as a project at the next start.
      if (isNew) await rm(dir, { recursive: true, force: true });
      throw err;
    }
    this.projects.set(state.project.name, state);
  }

  async saveDataset(project: string, d: DatasetRecord): Promise<void> {
    await writeJsonAtomic(join(projectDir(this.dataDir, project), 'datasets', `${d.type}.json`), d);
    this.projects.get(project)?.datasets.set(d.type, d);
  }

  async deleteDataset(project: string, type: DatasetType): Promise<void> {
    await rm(join(projectDir(this.dataDir, project), 'datasets', `${type}.json`), { force: true });
    this.projects.get(project)?.datasets.delete(type);
  }

  async saveModel(project: string, m: ModelRecord): Promise<void> {
    await writeJsonAtomic(join(projectDir(this.dataDir, project), 'models', `${m.version}.json`), m);
    this.projects.get(project)?.models.set(m.version, m);
  }

  async deleteModel(project: string, version: string): Promise<void> {
    // The record goes last: a crash in between leaves a record whose files are gone, which
    // startup finishes deleting, rather than files nobody knows about.
    await rm(modelDir(this.dataDir, project, version), { recursive: true, force: true });
    await rm(join(projectDir(this.dataDir, project), 'models', `${version}.json`), { force: true });
    const state = this.projects.get(project);
    state?.models.delete(version);
    state?.headers.delete(version);
  }

  async deleteProject(project: string): Promise<void> {
    await rm(projectDir(this.dataDir, project), { recursive: true, force: true });
    this.projects.delete(project);
  }
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
