import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { AppError, isAppError } from '../errors';
import type { ModelHeader } from '../engine/model/model-header';
import type { EnginePool } from '../engine/worker/engine-pool';
import { prepareImport, writeImport } from '../engine/imported/import-model';
import { toDataset } from './datasets';
import { writeEvaluation } from './evaluation';
import { modelDir, type ProjectState } from './project-store';
import type { ProjectRegistry } from './registry';
import type { ModelRecord, ModelStatus } from './records';
import { conflict, modelNotFound } from './resources';
import { LocalLeases } from './training-leases';
import { checkModelTags, trainOptionsFromTags } from './training-options';
import { TrainingRuns } from './training-runs';
import type { TrainingProgress } from './training-leases';
import type { Metrics } from '../lib/metrics';

export interface ImportModelInput {
  /** The export's ONNX bytes. */
  onnx: Uint8Array;
  /** Its metadata.json, parsed (anomalib v1 exports need it). */
  metadata: unknown | null;
  description: string | null;
}

export interface CreateModelInput {
  description: string | null;
  outputConfig: { bucket: string; prefix: string | null };
  kmsKeyId: string | null;
  tags: Record<string, string>;
}

type Engine = Pick<EnginePool, 'train' | 'load' | 'unload'>;

/**
 * Models and their lifecycle, as Lookout for Vision ran it:
 *
 *   CreateModel  TRAINING -> TRAINED | TRAINING_FAILED      (in the background)
 *   StartModel   TRAINED -> STARTING_HOSTING -> HOSTED | HOSTING_FAILED
 *   StopModel    HOSTED -> STOPPING_HOSTING -> TRAINED
 *   DeleteModel  refused while TRAINING or hosted
 *
 * Every status is written to disk before anyone sees it; on start-up `recover` resumes what a
 * restart interrupted (a training runs again, a hosted model is loaded again).
 */
export class ModelLifecycle {
  /** Background work (training, loading), so shutdown and tests can wait for it. */
  private readonly background = new Set<Promise<void>>();
  /** Loads in flight, by model, for callers that wait for a model to be up. */
  private readonly hosting = new Map<string, Promise<void>>();
  private closed = false;
  /** The last reason each model failed to start, for callers waiting on it. */
  private readonly hostingErrors = new Map<string, AppError>();

  constructor(
    private readonly registry: ProjectRegistry,
    private readonly engine: Engine,
    private readonly log: Logger,
    /** Called after any change that alters what a detection resolves to. */
    private readonly onChange: () => void = () => {},
    /** Who runs which training (one process: all of them; replicas: whoever holds the lease). */
    private readonly trainings: TrainingRuns = new TrainingRuns(new LocalLeases(), 30_000, log),
    private readonly metrics?: Metrics,
  ) {}

  private get store() {
    return this.registry.store;
  }

  private dir(project: string, version: string): string {
    return modelDir(this.store.dataDir, project, version);
  }

  /** The record a version names; `latest` is the highest version. */
  model(project: string, version: string): ModelRecord {
    const state = this.registry.project(project);
    const concrete = version === 'latest' ? latest(state) : version;
    const m = concrete ? state.models.get(concrete) : undefined;
    if (!m) throw modelNotFound(project, version);
    return m;
  }

  /** Newest first. */
  list(project: string): ModelRecord[] {
    return [...this.registry.project(project).models.values()].sort((a, b) => Number(b.version) - Number(a.version));
  }

  /** The trained model's header; none (and no disk read) while training or after it failed. */
  header(project: string, m: ModelRecord): Promise<ModelHeader | null> {
    return m.status === 'TRAINING' || m.status === 'TRAINING_FAILED' ? Promise.resolve(null) : this.store.header(project, m.version);
  }

  create(project: string, input: CreateModelInput, now = Date.now()): Promise<ModelRecord> {
    checkModelTags(input.tags);
    return this.registry.mutate(project, async () => {
      const state = this.registry.project(project);
      const train = state.datasets.get('train');
      if (!train?.entries.length)
        throw new AppError('BAD_USER_INPUT', `The project ${project} has no training images; create a train dataset first.`, {
          resourceType: 'DATASET',
          resourceId: `${project}/train`,
        });
      // Trainings run one at a time; an unbounded line of them is a way to fill the disk and the week.
      const queued = [...state.models.values()].filter((x) => x.status === 'TRAINING').length;
      const max = this.registry.options.maxQueuedTrainings;
      if (queued >= max) {
        throw new AppError('QUOTA_EXCEEDED', `The project ${project} has ${queued} trainings running or waiting; at most ${max} may (MAX_QUEUED_TRAININGS).`, {
          quotaCode: 'MAX_QUEUED_TRAININGS',
          serviceCode: 'lookoutvision',
          resourceType: 'MODEL',
          resourceId: project,
        });
      }
      const version = String(state.project.lastVersion + 1);
      state.project.lastVersion += 1;
      await this.store.saveProject(state);
      const m: ModelRecord = {
        version,
        createdAt: now,
        status: 'TRAINING',
        statusMessage: 'Training.',
        description: input.description,
        outputConfig: input.outputConfig,
        kmsKeyId: input.kmsKeyId,
        tags: input.tags,
        minInferenceUnits: null,
        maxInferenceUnits: null,
        evaluation: null,
        job: { train: train.entries, test: state.datasets.get('test')?.entries ?? null },
      };
      await this.store.saveModel(project, m);
      this.spawnTraining(project, version);
      return m;
    });
  }

  /**
   * A model brought in from anomalib's ONNX export: checked and run once before the project is
   * touched, then stored (and published to the model storage) as a new version that is TRAINED,
   * to be started, stopped and used like any other. A file that does not fit changes nothing.
   */
  async importModel(project: string, input: ImportModelInput, now = Date.now()): Promise<ModelRecord> {
    this.registry.project(project);
    const prepared = await prepareImport(input.onnx, input.metadata);
    return this.registry.mutate(project, async () => {
      const state = this.registry.project(project);
      const version = String(state.project.lastVersion + 1);
      const dir = this.dir(project, version);
      try {
        await writeImport(prepared, dir);
        await this.store.artifacts.publish(project, version, dir);
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
      state.project.lastVersion += 1;
      await this.store.saveProject(state);
      const m: ModelRecord = {
        version,
        createdAt: now,
        status: 'TRAINED',
        statusMessage: `Imported from an anomalib ONNX export (${prepared.header.imported.exportVersion}).`,
        description: input.description,
        outputConfig: { bucket: 'lookout-gateway', prefix: 'evaluations/' },
        kmsKeyId: null,
        tags: {},
        minInferenceUnits: null,
        maxInferenceUnits: null,
        evaluation: null,
        job: null,
      };
      await this.store.saveModel(project, m);
      this.onChange();
      return m;
    });
  }

  private spawnTraining(project: string, version: string): void {
    this.spawn(() => this.trainings.run(project, version, (lost, report) => this.train(project, version, lost, report)));
  }

  /** How far a TRAINING model has got (null while it waits for the engine or a replica). */
  trainingProgress(project: string, version: string): Promise<TrainingProgress | null> {
    return this.trainings.progress(project, version);
  }

  private async train(
    project: string,
    version: string,
    lost: () => boolean,
    report: (p: { stage: string; done: number; total: number }) => void,
  ): Promise<void> {
    const m = this.model(project, version);
    let next: Partial<ModelRecord>;
    try {
      const opts = this.registry.manifestOptions;
      // Made on another replica, the dataset's bucket objects may not be mirrored here yet.
      await this.registry.ensureObjects([...m.job!.train, ...(m.job!.test ?? [])], true);
      const data = { train: toDataset(m.job!.train, opts), test: m.job!.test ? toDataset(m.job!.test, opts) : null };
      const trained = await this.engine.train(data, this.dir(project, version), {
        ...trainOptionsFromTags(m.tags),
        files: this.registry.options.files,
        onProgress: report,
      });
      // Before the record says TRAINED: any replica that reads it must find the files.
      report({ stage: 'storing the model', done: 0, total: 0 });
      await this.store.artifacts.publish(project, version, this.dir(project, version));
      // The test images are the test dataset's, or the share of the training set held out.
      const testEntries = [...(m.job!.test ?? []), ...m.job!.train];
      // The model is good even when its evaluation files cannot be written (say, the store is down).
      const where = { project, version, output: m.outputConfig };
      const evaluation = await writeEvaluation(this.registry.options.buckets, where, trained, testEntries, opts).catch((err) => {
        this.log.warn({ err, project, version }, 'the evaluation result could not be written');
        return null;
      });
      next = { status: 'TRAINED', statusMessage: 'Training completed successfully.', evaluation };
    } catch (err) {
      if (this.closed) {
        this.log.info({ project, version }, 'training interrupted by shutdown; it runs again at the next start');
        return;
      }
      if (!isAppError(err)) this.log.error({ err, project, version }, 'training failed unexpectedly');
      const why = isAppError(err) ? err.message : 'The engine failed unexpectedly; see the gateway log.';
      next = { status: 'TRAINING_FAILED', statusMessage: why.split('\n')[0].slice(0, 1000) };
    }
    if (lost()) return; // another replica holds the training now; its outcome is the one recorded
    await this.update(project, version, next);
    this.metrics?.trainingsFinished.inc({ outcome: next.status === 'TRAINED' ? 'trained' : 'failed' });
  }

  /** StartModel: the status it answers with; loading continues in the background. */
  start(project: string, version: string, units: { min: number | null; max: number | null } = { min: null, max: null }): Promise<ModelStatus> {
    return this.registry.mutate(project, async () => {
      const m = this.model(project, version);
      if (m.status === 'HOSTED' || m.status === 'STARTING_HOSTING') return m.status;
      if (m.status !== 'TRAINED' && m.status !== 'HOSTING_FAILED')
        throw conflict('MODEL', `${project}/${m.version}`, `The model ${project}/${m.version} is ${m.status} and cannot be started.`);
      await this.store.saveModel(project, {
        ...m,
        status: 'STARTING_HOSTING',
        statusMessage: 'Starting.',
        minInferenceUnits: units.min,
        maxInferenceUnits: units.max,
      });
      this.startHosting(project, m.version);
      return 'STARTING_HOSTING';
    });
  }

  private startHosting(project: string, version: string): void {
    const key = `${project}/${version}`;
    const p = this.spawn(() => this.host(project, version));
    this.hosting.set(key, p);
    void p.finally(() => this.hosting.get(key) === p && this.hosting.delete(key));
  }

  /**
   * Starts a stopped model and waits until it is up (GraphQL's start-on-first-use). The
   * protocol path never calls this: there, detecting with a stopped model is an error.
   */
  async ensureHosted(project: string, version: string): Promise<void> {
    const m = this.model(project, version);
    if (m.status === 'HOSTED') return;
    if (m.status === 'TRAINED' || m.status === 'HOSTING_FAILED') await this.start(project, m.version);
    const key = `${project}/${m.version}`;
    await this.hosting.get(key);
    // Why it did not start (MODEL_CORRUPT, MODEL_INCOMPATIBLE) tells the caller more than "start it first".
    const failed = this.hostingErrors.get(key);
    if (failed && this.model(project, m.version).status === 'HOSTING_FAILED') throw failed;
  }

  private async host(project: string, version: string): Promise<void> {
    const key = `${project}/${version}`;
    try {
      await this.store.artifacts.fetch(project, version, this.dir(project, version));
      await this.engine.load(this.dir(project, version));
      this.hostingErrors.delete(key);
      await this.update(project, version, { status: 'HOSTED', statusMessage: 'The model is running.' }, ['STARTING_HOSTING']);
    } catch (err) {
      this.log.warn({ err, project, version }, 'a model failed to start');
      if (isAppError(err)) this.hostingErrors.set(key, err);
      // Also from HOSTED: after a restart a hosted model stays HOSTED while it reloads. Not where
      // replicas share the record: one replica's failed reload (its copy of the files, its
      // memory) must not mark the model failed for the others, which serve it.
      const from: ModelStatus[] = this.store.records.kind === 'files' ? ['STARTING_HOSTING', 'HOSTED'] : ['STARTING_HOSTING'];
      await this.update(project, version, { status: 'HOSTING_FAILED', statusMessage: (err as Error).message.split('\n')[0] }, from);
    }
  }

  /** StopModel: the model keeps its files and returns to TRAINED once unloaded. */
  stop(project: string, version: string): Promise<ModelStatus> {
    return this.registry.mutate(project, async () => {
      const m = this.model(project, version);
      if (m.status === 'STOPPING_HOSTING') return m.status;
      if (m.status !== 'HOSTED' && m.status !== 'STARTING_HOSTING' && m.status !== 'HOSTING_FAILED') {
        throw conflict('MODEL', `${project}/${m.version}`, `The model ${project}/${m.version} is ${m.status}, not hosted.`);
      }
      await this.store.saveModel(project, { ...m, status: 'STOPPING_HOSTING', statusMessage: 'Stopping.' });
      this.spawn(async () => {
        await this.engine.unload(this.dir(project, m.version)).catch((err) => this.log.warn({ err }, 'unloading a model failed'));
        await this.update(project, m.version, { status: 'TRAINED', statusMessage: 'The model is stopped.' }, ['STOPPING_HOSTING']);
      });
      return 'STOPPING_HOSTING';
    });
  }

  /** DeleteModel: only a model that is neither training nor hosted. Versions are not reused. */
  delete(project: string, version: string): Promise<ModelRecord> {
    return this.registry.mutate(project, async () => {
      const m = this.model(project, version);
      if (!['TRAINED', 'TRAINING_FAILED', 'HOSTING_FAILED', 'DELETING'].includes(m.status)) {
        throw conflict(
          'MODEL',
          `${project}/${version}`,
          `The model ${project}/${version} is ${m.status}; stop it (or let training finish) before deleting it.`,
        );
      }
      await this.store.saveModel(project, { ...m, status: 'DELETING', statusMessage: 'Deleting.' });
      await this.engine.unload(this.dir(project, version)).catch(() => {});
      await this.store.deleteModel(project, version);
      this.onChange();
      return m;
    });
  }

  /** Resumes what a restart interrupted. */
  async recover(): Promise<void> {
    for (const state of this.store.projects.values()) {
      const project = state.project.name;
      for (const m of state.models.values()) {
        if (m.status === 'TRAINING' && m.job) this.spawnTraining(project, m.version);
        else if (m.status === 'TRAINING')
          await this.update(project, m.version, { status: 'TRAINING_FAILED', statusMessage: 'Training was interrupted and its datasets are unknown.' });
        else if (m.status === 'STARTING_HOSTING' || m.status === 'HOSTED') this.startHosting(project, m.version);
        else if (m.status === 'STOPPING_HOSTING') await this.update(project, m.version, { status: 'TRAINED', statusMessage: 'The model is stopped.' });
        else if (m.status === 'DELETING') await this.store.deleteModel(project, m.version);
      }
    }
    this.trainings.adoptOrphans((project, version) => {
      if (this.closed) return;
      // Known here only once this replica has read the project since the model was made.
      const known = () => this.registry.find(project)?.models.get(version)?.status === 'TRAINING';
      void (known() ? Promise.resolve([]) : this.registry.reread(project)).then(() => known() && this.spawnTraining(project, version)).catch(() => {});
    });
  }

  /**
   * Another replica changed the project: models no longer hosted (stopped, deleted) are unloaded
   * here too, so StopModel and DeleteModel reach every replica.
   */
  async reconcile(project: string, versions: string[]): Promise<void> {
    const state = this.registry.find(project);
    for (const version of versions) {
      const status = state?.models.get(version)?.status;
      if (status === 'HOSTED' || status === 'STARTING_HOSTING' || status === 'TRAINING') continue;
      await this.engine.unload(this.dir(project, version)).catch((err) => this.log.warn({ err, project, version }, 'could not unload a model'));
    }
  }

  /** Waits for background training and loading (tests; shutdown). */
  async settled(): Promise<void> {
    while (this.background.size) await Promise.allSettled([...this.background]);
  }

  /**
   * Shutdown, in two steps around stopping the engine: `closing` before (from then on, work the
   * engine abandons leaves its status as it is on disk, so the next start resumes it), then
   * `settled` after.
   */
  closing(): void {
    this.closed = true;
    this.trainings.stop();
  }

  private spawn(work: () => Promise<void>): Promise<void> {
    const p = work().catch((err) => this.log.error({ err }, 'background model work failed'));
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
    return p;
  }

  /** Writes a status change, unless the model moved on meanwhile (deleted, or stopped). */
  private update(project: string, version: string, change: Partial<ModelRecord>, onlyFrom?: ModelStatus[]): Promise<void> {
    return this.registry.mutate(project, async () => {
      const m = this.store.get(project)?.models.get(version);
      if (!m || (onlyFrom && !onlyFrom.includes(m.status)) || this.closedDuring(change)) return;
      // A finished training no longer needs its snapshot of the datasets.
      const job = m.status === 'TRAINING' && change.status && change.status !== 'TRAINING' ? null : m.job;
      await this.store.saveModel(project, { ...m, ...change, job });
      this.onChange();
    });
  }

  /** A training or load cut short by shutdown keeps its status, so the next start redoes it. */
  private closedDuring(change: Partial<ModelRecord>): boolean {
    return this.closed && (change.status === 'TRAINING_FAILED' || change.status === 'HOSTING_FAILED');
  }
}

function latest(state: ProjectState): string | undefined {
  let best: string | undefined;
  for (const v of state.models.keys()) if (!best || Number(v) > Number(best)) best = v;
  return best;
}
