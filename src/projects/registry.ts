import { dirname } from 'node:path';
import { AppError } from '../errors';
import { describeRefusal, readAllowedFile, type FileAccess } from '../engine/dataset/file-access';
import type { ManifestOptions } from '../engine/dataset/manifest';
import { folderLayout, manifestLine } from '../engine/dataset/folder-layout';
import { checkReferences, filterEntries, imageStats, mergeEntries, parseLines, referencedObjects, type EntryFilter } from './datasets';
import type { Buckets } from './locations';
import { KeyedLock } from '../lib/keyed-lock';
import { isStale } from './record-store';
import { NAME_PATTERN, emptyState, type ProjectState, type ProjectStore } from './project-store';
import type { DatasetRecord, DatasetType, DatasetEntryRecord, S3Object } from './records';
import { conflict, datasetNotFound, modelArn, parseArn, projectNotFound, type ArnScope } from './resources';
import { checkModelTags } from './training-options';

/** An S3 folder in either folder layout (engine/dataset/folder-layout.ts). */
export interface FolderSource {
  folder: S3Object;
  /** Share of each MVTec defect folder that goes to the TRAIN side. */
  defectsInTraining?: number;
}

export type DatasetSource = S3Object | FolderSource | { text: string; base: string };

export interface RegistryOptions {
  scope: ArnScope;
  buckets: Buckets;
  /** Most projects one gateway keeps (ServiceQuotaExceededException beyond it). */
  maxProjects: number;
  /** Most entries one dataset holds (ServiceQuotaExceededException beyond it). */
  maxDatasetImages: number;
  /** Most trainings one project may have running or waiting. */
  maxQueuedTrainings: number;
  /** Which files dataset references may name. */
  files: FileAccess;
}

/** Largest manifest CreateDataset reads (the service's limit was 1 GB; this is a single file in memory). */
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

/** Tries of one change when other replicas keep changing the project under it. */
const MAX_ATTEMPTS = 4;

/**
 * Projects, datasets and tags: the state both the Lookout for Vision endpoint and GraphQL
 * manage. Models and their lifecycle are in `ModelLifecycle`, which shares the store and locks.
 */
export class ProjectRegistry {
  readonly locks = new KeyedLock();

  constructor(
    readonly store: ProjectStore,
    readonly options: RegistryOptions,
  ) {}

  get manifestOptions(): ManifestOptions {
    return { bucketFolder: this.options.buckets.resolver(), access: this.options.files };
  }

  /** The data folder: where uploaded images are kept and relative manifest references resolve. */
  get dataDir(): string {
    return this.store.dataDir;
  }

  /** A project's state, or undefined: for readers that answer "none" rather than an error. */
  find(name: string): ProjectState | undefined {
    return NAME_PATTERN.test(name) ? this.store.get(name) : undefined;
  }

  /** Looks on disk for a project (or models) another tool put there since the last look. */
  discover(name: string): Promise<void> {
    return this.store.discover(name);
  }

  async close(): Promise<void> {
    this.options.buckets.close();
    await this.store.records.close();
    this.store.artifacts.close();
  }

  /**
   * Runs a change to one project under its lock (one change at a time in this process). A write
   * that finds a record changed by another replica reloads the project and runs the change again
   * on the fresh view, where it may now be refused as the service would (a conflict).
   */
  async mutate<T>(project: string, change: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.locks.run(project, change);
      } catch (err) {
        if (!isStale(err)) throw err;
        if (attempt === MAX_ATTEMPTS) throw conflict('PROJECT', project, `The project ${project} kept changing under this request; retry it.`);
        await this.locks.run(project, () => this.store.refresh(project));
      }
    }
  }

  /** Keeps an uploaded dataset image where every replica reads it (null: this disk only). */
  publishImage(project: string, file: string, bytes: Buffer): Promise<string | null> {
    return this.store.artifacts.putImage(project, file, bytes);
  }

  /** Whether the records can be read and written (readiness). */
  reachable(): Promise<boolean> {
    return this.store.records.ping();
  }

  /**
   * Reads again what other replicas change, as the record store announces it; `onChange` hears
   * each project with the versions it had or has, to bring what runs here in line.
   */
  follow(onChange: (project: string, versions: string[]) => void = () => {}): void {
    this.store.records.watch((project) => {
      this.reread(project).then(
        (changed) => changed.forEach((c) => onChange(c.project, c.versions)),
        () => {
          // The store is unreachable; its reconnect announces a full reread.
        },
      );
    });
  }

  /** One project, or (null) every project, as the store now has them. */
  async reread(project: string | null): Promise<{ project: string; versions: string[] }[]> {
    const names = project ? [project] : [...new Set([...this.store.projects.keys(), ...(await this.store.records.loadAll()).map((p) => p.project.name)])];
    return Promise.all(names.map(async (name) => ({ project: name, versions: await this.locks.run(name, () => this.store.refresh(name)) })));
  }

  project(name: string): ProjectState {
    const state = NAME_PATTERN.test(name) ? this.store.get(name) : undefined;
    if (!state) throw projectNotFound(name);
    return state;
  }

  listProjects(): ProjectState[] {
    return [...this.store.projects.values()].sort((a, b) => a.project.name.localeCompare(b.project.name));
  }

  createProject(name: string, now = Date.now()): Promise<ProjectState> {
    if (!NAME_PATTERN.test(name) || name.length > 255)
      throw new AppError('BAD_USER_INPUT', `The project name "${name}" must be 1-255 letters, digits, _ or -, starting with a letter or digit.`);
    return this.mutate(name, async () => {
      if (this.store.get(name)) throw conflict('PROJECT', name, `The project ${name} already exists.`);
      if (this.store.projects.size >= this.options.maxProjects) {
        throw new AppError('QUOTA_EXCEEDED', `This gateway keeps at most ${this.options.maxProjects} projects (MAX_PROJECTS).`, {
          quotaCode: 'MAX_PROJECTS',
          serviceCode: 'lookoutvision',
          resourceType: 'PROJECT',
          resourceId: name,
        });
      }
      const state = emptyState({ name, createdAt: now, tags: {}, lastVersion: 0 });
      await this.store.saveProject(state);
      return state;
    });
  }

  /** As the service's API had it: models and datasets must be deleted first. */
  deleteProject(name: string): Promise<string> {
    return this.mutate(name, async () => {
      const state = this.project(name);
      if (state.models.size || state.datasets.size) {
        throw conflict(
          'PROJECT',
          name,
          `The project ${name} still has ${state.models.size} model(s) and ${state.datasets.size} dataset(s); delete them first.`,
        );
      }
      await this.store.deleteProject(name);
      return name;
    });
  }

  /** ResourceNotFound for an unknown project, Conflict when it has this dataset already. */
  assertNoDataset(project: string, type: DatasetType): void {
    if (this.project(project).datasets.has(type)) throw conflict('DATASET', `${project}/${type}`, `The project ${project} already has a ${type} dataset.`);
  }

  dataset(project: string, type: DatasetType): DatasetRecord {
    const d = this.project(project).datasets.get(type);
    if (!d) throw datasetNotFound(project, type);
    return d;
  }

  /**
   * A dataset from a Ground Truth manifest in a bucket (the protocol's way), from manifest text
   * the client sent (GraphQL uploads), or empty to be filled through `updateEntries`.
   */
  createDataset(project: string, type: DatasetType, source: DatasetSource | null, now = Date.now()): Promise<DatasetRecord> {
    return this.mutate(project, async () => {
      this.assertNoDataset(project, type);
      let entries: DatasetEntryRecord[] = [];
      if (source) {
        if ('folder' in source) entries = parseLines(await this.folderLines(source, type), this.dataDir, now);
        else entries = 'bucket' in source ? await this.readManifest(source, now) : parseLines(source.text, source.base, now);
        this.assertWithinQuota(project, entries.length);
        await this.ensureObjects(entries);
        await checkReferences(entries, this.manifestOptions);
      }
      const from = !source
        ? 'empty'
        : 'folder' in source
          ? `from the folder s3://${source.folder.bucket}/${source.folder.key}`
          : 'bucket' in source
            ? `from s3://${source.bucket}/${source.key}`
            : 'from an uploaded manifest';
      const d: DatasetRecord = { type, createdAt: now, updatedAt: now, status: 'CREATE_COMPLETE', statusMessage: `Created ${from}.`, entries };
      await this.store.saveDataset(project, d);
      return d;
    });
  }

  /**
   * Images in remote buckets are copied when a dataset takes them, as the service did. A replica
   * that trains a dataset another replica made copies only what it lacks (`missingOnly`): what it
   * has is what the dataset took, and a later change in the bucket must not change the training.
   */
  async ensureObjects(entries: DatasetEntryRecord[], missingOnly = false): Promise<void> {
    const objects = referencedObjects(entries);
    const buckets = this.options.buckets;
    const fetch = (o: S3Object) => (missingOnly ? buckets.fetchMissing(o.bucket, o.key) : buckets.fetch(o.bucket, o.key));
    // A few at a time: enough to hide latency, few enough not to swamp a small store.
    for (let i = 0; i < objects.length; i += 8) await Promise.all(objects.slice(i, i + 8).map(fetch));
  }

  /**
   * A folder's images as manifest lines naming `s3://` objects. An MVTec folder gives the TRAIN
   * dataset its training side and the TEST dataset the rest, so two calls with the same share
   * never put an image on both sides; a Lookout folder gives every image to either.
   */
  private async folderLines({ folder, defectsInTraining }: FolderSource, type: DatasetType): Promise<string> {
    const prefix = folder.key && !folder.key.endsWith('/') ? `${folder.key}/` : folder.key;
    const files = await this.options.buckets.list(folder.bucket, prefix, this.options.maxDatasetImages * 4);
    const layout = folderLayout(files, `s3://${folder.bucket}/${prefix}`, defectsInTraining);
    const taken = layout.kind === 'mvtec' ? layout.entries.filter((e) => e.side === type) : layout.entries;
    if (!taken.length) throw new AppError('DATASET_INVALID', `The folder s3://${folder.bucket}/${prefix} has no images for a ${type.toUpperCase()} dataset.`);
    return taken.map((e) => manifestLine(e, (p) => `s3://${folder.bucket}/${prefix}${p}`)).join('\n');
  }

  /**
   * An object a request names (`s3://bucket/key`), copied if remote and read within `maxBytes`
   * from the allowed roots; a refusal is `code`, naming the object as the client wrote it.
   */
  async readObject(source: S3Object, maxBytes: number, what: string, code: 'BAD_USER_INPUT' | 'DATASET_INVALID' = 'BAD_USER_INPUT'): Promise<Buffer> {
    await this.options.buckets.fetch(source.bucket, source.key);
    const access = { ...this.options.files, maxBytes };
    try {
      return await readAllowedFile(this.options.buckets.path(source.bucket, source.key), access);
    } catch (err) {
      throw new AppError(code, `The ${what} s3://${source.bucket}/${source.key} ${describeRefusal(err, access)}.`);
    }
  }

  private async readManifest(source: S3Object, now: number): Promise<DatasetEntryRecord[]> {
    const bytes = await this.readObject(source, Math.max(this.options.files.maxBytes, MAX_MANIFEST_BYTES), 'manifest', 'DATASET_INVALID');
    return parseLines(bytes.toString('utf8'), dirname(this.options.buckets.path(source.bucket, source.key)), now);
  }

  private assertWithinQuota(project: string, entries: number): void {
    const max = this.options.maxDatasetImages;
    if (entries > max) {
      throw new AppError('QUOTA_EXCEEDED', `A dataset holds at most ${max} images (MAX_DATASET_IMAGES); this one would hold ${entries}.`, {
        quotaCode: 'MAX_DATASET_IMAGES',
        serviceCode: 'lookoutvision',
        resourceType: 'DATASET',
        resourceId: project,
      });
    }
  }

  deleteDataset(project: string, type: DatasetType): Promise<void> {
    return this.mutate(project, async () => {
      this.dataset(project, type);
      await this.store.deleteDataset(project, type);
    });
  }

  describeDataset(project: string, type: DatasetType) {
    const d = this.dataset(project, type);
    return { ...d, stats: imageStats(d.entries) };
  }

  listEntries(project: string, type: DatasetType, filter: EntryFilter): DatasetEntryRecord[] {
    return filterEntries(this.dataset(project, type).entries, filter);
  }

  /** JSON lines that add images or relabel known ones. Relative references resolve from `base`. */
  updateEntries(project: string, type: DatasetType, text: string, base: string, now = Date.now()): Promise<DatasetRecord> {
    return this.mutate(project, async () => {
      const d = this.dataset(project, type);
      const changes = parseLines(text, base, now);
      if (!changes.length) throw new AppError('DATASET_INVALID', 'The changes hold no entries.');
      const entries = mergeEntries(d.entries, changes);
      this.assertWithinQuota(project, entries.length);
      await this.ensureObjects(changes);
      await checkReferences(changes, this.manifestOptions);
      const next: DatasetRecord = { ...d, entries, updatedAt: now, status: 'UPDATE_COMPLETE', statusMessage: `Updated ${changes.length} entries.` };
      await this.store.saveDataset(project, next);
      return next;
    });
  }

  /** The tags of a project or model, by ARN; ResourceNotFound for anything else. */
  private tagged(arn: string): { tags: Record<string, string>; save: (tags: Record<string, string>) => Promise<void>; key: string } {
    const named = parseArn(this.options.scope, arn);
    const notFound = () =>
      new AppError('PROJECT_NOT_FOUND', `No resource has the ARN ${arn}.`, { resourceType: named?.version ? 'MODEL' : 'PROJECT', resourceId: arn });
    if (!named) throw notFound();
    const state = this.store.get(named.project);
    if (!state) throw notFound();
    // Saves write a new record and only then replace the one in memory, so a failed write
    // leaves the tags as they were.
    if (!named.version)
      return { tags: state.project.tags, save: (tags) => this.store.saveProject({ ...state, project: { ...state.project, tags } }), key: named.project };
    const model = state.models.get(named.version);
    if (!model) throw notFound();
    return { tags: model.tags, save: (tags) => this.store.saveModel(named.project, { ...model, tags }), key: named.project };
  }

  modelArn(project: string, version: string): string {
    return modelArn(this.options.scope, project, version);
  }

  listTags(arn: string): Record<string, string> {
    return { ...this.tagged(arn).tags };
  }

  async tag(arn: string, tags: Record<string, string>): Promise<void> {
    if (parseArn(this.options.scope, arn)?.version) checkModelTags(tags);
    await this.mutate(this.tagged(arn).key, async () => {
      const t = this.tagged(arn);
      const merged = { ...t.tags, ...tags };
      if (Object.keys(merged).length > 200)
        throw new AppError('QUOTA_EXCEEDED', 'A resource has at most 200 tags.', { quotaCode: 'TAGS_PER_RESOURCE', serviceCode: 'lookoutvision' });
      await t.save(merged);
    });
  }

  async untag(arn: string, keys: string[]): Promise<void> {
    await this.mutate(this.tagged(arn).key, async () => {
      const t = this.tagged(arn);
      await t.save(Object.fromEntries(Object.entries(t.tags).filter(([k]) => !keys.includes(k))));
    });
  }
}
