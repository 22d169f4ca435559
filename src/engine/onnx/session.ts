import type { InferenceSession } from 'onnxruntime-node';

/**
 * Session options shared by every graph the engine runs. Two intra-op threads match the 2-core
 * machines this runs on; inter-op parallelism buys nothing for these straight-line graphs. ORT's
 * async `run` executes off the event loop, so a server stays responsive while it works.
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
