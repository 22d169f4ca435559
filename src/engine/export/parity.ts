import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { readImage } from '../dataset/read-entry';
import type { DatasetEntry } from '../dataset/types';
import type { AnomalyModel } from '../detector';
import { decodeRgb } from '../image/decode';

export interface Parity {
  images: number;
  /** |graph score - server score| / |threshold|: the scale verdicts turn on. */
  maxDifference: number;
  meanDifference: number;
  /** Images the graph and the server judge differently. */
  differing: string[];
  graphMs: number;
  serverMs: number;
}

/**
 * How an exported graph (onnx-export.ts) judges images against the server that made it: each
 * image through the server's detect, and through the graph in plain onnxruntime from its decoded
 * pixels and the metadata's region, as a user of the file would run it.
 */
export async function exportParity(model: AnomalyModel, graph: Uint8Array, entries: DatasetEntry[]): Promise<Parity> {
  const session = await ort.InferenceSession.create(graph);
  const meta = Object.fromEntries(onnx.ModelProto.decode(graph).metadataProps.map((p) => [p.key, p.value]));
  const roi = new ort.Tensor('float32', Float32Array.from(JSON.parse(meta.roi) as number[]), [4]);
  const differences: number[] = [];
  const differing: string[] = [];
  let graphMs = 0;
  let serverMs = 0;
  try {
    for (const e of entries) {
      const bytes = await readImage(e);
      let t = performance.now();
      const server = await model.detect(bytes);
      serverMs += performance.now() - t;
      const px = await decodeRgb(bytes);
      t = performance.now();
      const out = await session.run({ image: new ort.Tensor('uint8', new Uint8Array(px.data), [px.height, px.width, 3]), roi });
      graphMs += performance.now() - t;
      differences.push(Math.abs((out.score.data as Float32Array)[0] - server.score) / Math.abs(server.threshold));
      if (Boolean((out.is_anomalous.data as Uint8Array)[0]) !== server.isAnomalous) differing.push(e.ref ?? e.image);
    }
  } finally {
    await session.release();
  }
  const n = Math.max(1, entries.length);
  return {
    images: entries.length,
    maxDifference: Math.max(0, ...differences),
    meanDifference: differences.reduce((a, b) => a + b, 0) / n,
    differing,
    graphMs: graphMs / n,
    serverMs: serverMs / n,
  };
}
