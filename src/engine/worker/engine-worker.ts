import { workerData } from 'node:worker_threads';
import { setIntraOpThreads } from '../onnx/session';
import { trainModel } from '../train';
import { WorkQueue } from '../../lib/work-queue';
import { LoadedModels } from './loaded-models';
import { toOutcomeError, type EngineTask, type Outcome, type WorkerConfig } from './protocol';

/**
 * The engine's worker thread. onnxruntime-node runs inference synchronously on the calling
 * thread (its async `run` only defers the call with setImmediate), and decoding, the coreset and
 * mask drawing are JS: on the main thread each detection would stall every other request for
 * tens of milliseconds and a training for seconds. Here they stall nothing but this thread.
 *
 * Loaded models are cached by directory until `unload` (sent when a model is stopped or
 * deleted) or until the memory budget needs their room (loaded-models.ts).
 */

const config = workerData as WorkerConfig;
setIntraOpThreads(config.threads);

// The main thread bounds and orders the work; in here one job runs at a time.
const inline = new WorkQueue(1, Number.MAX_SAFE_INTEGER);
const models = new LoadedModels(config.modelMemoryBytes ?? Number.MAX_SAFE_INTEGER, inline);

export default async function handle(task: EngineTask): Promise<Outcome<unknown>> {
  try {
    switch (task.op) {
      case 'detect': {
        const r = await models.with(task.modelDir, task.limits, (m) =>
          m.detect(task.bytes, undefined, { sensitivity: task.sensitivity, autoOrient: task.autoOrient }),
        );
        return { ok: true, value: r };
      }
      case 'train': {
        const trained = await trainModel(task.data, task.outDir, {
          ...task.options,
          onProgress: task.progress ? (p) => task.progress!.postMessage(p) : undefined,
        });
        task.progress?.close();
        return { ok: true, value: trained };
      }
      case 'load': {
        await models.with(task.modelDir, task.limits, async () => null);
        return { ok: true, value: null };
      }
      case 'unload': {
        await models.unload(task.modelDir);
        return { ok: true, value: null };
      }
    }
  } catch (err) {
    if (task.op === 'train') task.progress?.close();
    return toOutcomeError(err);
  }
}
