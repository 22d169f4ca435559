import type { InferenceSession } from 'onnxruntime-node';

/**
 * Session options shared by every graph the engine runs. Two intra-op threads match the 2-core
 * machines this runs on; inter-op parallelism buys nothing for these straight-line graphs.
 * onnxruntime-node's async `run` still computes on the calling thread (it only defers the call),
 * which is why the gateway runs the engine in a worker thread (worker/engine-worker.ts).
 */
let intraOpThreads = 2;

export function setIntraOpThreads(n: number): void {
  intraOpThreads = Math.max(1, Math.floor(n));
}

export function sessionOptions(): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
}
