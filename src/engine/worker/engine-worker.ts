import { workerData } from 'node:worker_threads';
import { AnomalyModel } from '../detector';
import type { ImageLimits } from '../image/image-header';
import { setIntraOpThreads } from '../onnx/session';
import { trainModel } from '../train';
import { WorkQueue } from '../../lib/work-queue';
import { toOutcomeError, type EngineTask, type Outcome, type WorkerConfig } from './protocol';

/**
 * The engine's worker thread. onnxruntime-node runs inference synchronously on the calling
 * thread (its async `run` only defers the call with setImmediate), and decoding, the coreset and
 * mask drawing are JS: on the main thread each detection would stall every other request for
 * tens of milliseconds and a training for seconds. Here they stall nothing but this thread.
 *
 * Loaded models are cached by directory until `unload` (sent when a model is replaced or
 * deleted).
 */

const config = workerData as WorkerConfig;
setIntraOpThreads(config.threads);

// The main thread bounds and orders the work; in here one job runs at a time.
const inline = new WorkQueue(1, Number.MAX_SAFE_INTEGER);
const models = new Map<string, Promise<AnomalyModel>>();

function model(dir: string, limits: ImageLimits): Promise<AnomalyModel> {
  let m = models.get(dir);
  if (!m) {
    m = AnomalyModel.load(dir, { queue: inline, limits });
    models.set(dir, m);
    m.catch(() => models.delete(dir));
  }
  return m;
}

export default async function handle(task: EngineTask): Promise<Outcome<unknown>> {
  try {
    switch (task.op) {
      case 'detect': {
        const m = await model(task.modelDir, task.limits);
        const r = await m.detect(task.bytes, undefined, { sensitivity: task.sensitivity, autoOrient: task.autoOrient });
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
        await model(task.modelDir, task.limits);
        return { ok: true, value: null };
      }
      case 'unload': {
        const m = models.get(task.modelDir);
        models.delete(task.modelDir);
        if (m) await (await m.catch(() => null))?.close();
        return { ok: true, value: null };
      }
    }
  } catch (err) {
    if (task.op === 'train') task.progress?.close();
    return toOutcomeError(err);
  }
}
