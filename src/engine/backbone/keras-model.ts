/**
 * The parts of a Keras "layers model" (as saved by tfjs-converter) that the converter reads:
 * the layer list from `modelTopology` and the dequantised weights from `weightsManifest`.
 */

export interface KerasLayer {
  name: string;
  class_name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Keras layer configs are free-form JSON, read field by field by each converter
  config: Record<string, any>;
  /** Keras' nested form: [[[layerName, nodeIndex, tensorIndex, kwargs], ...]] */
  inbound_nodes: [string, number, number, unknown][][];
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { min?: number; scale?: number; dtype: string };
}

export interface KerasModelJson {
  modelTopology: { model_config?: { config: { layers: KerasLayer[] } }; config?: { layers: KerasLayer[] } };
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

export interface KerasModel {
  layers: KerasLayer[];
  weights: Map<string, { shape: number[]; data: Float32Array }>;
}

/**
 * Dequantises the concatenated weight bytes in manifest order. tfjs stores uint8 weights as
 * `min + scale * q`; float32 weights are stored as they are.
 */
export function readKerasModel(json: KerasModelJson, weightBytes: Uint8Array): KerasModel {
  const config = json.modelTopology.model_config?.config ?? json.modelTopology.config;
  if (!config?.layers) throw new Error('model topology has no layer list');
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  let offset = 0;
  for (const group of json.weightsManifest) {
    for (const spec of group.weights) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(count);
      const q = spec.quantization;
      if (q && q.dtype === 'uint8') {
        const min = q.min ?? 0;
        const scale = q.scale ?? 1;
        for (let i = 0; i < count; i++) data[i] = min + scale * weightBytes[offset + i];
        offset += count;
      } else if (!q && spec.dtype === 'float32') {
        const view = new DataView(weightBytes.buffer, weightBytes.byteOffset + offset, count * 4);
        for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
        offset += count * 4;
      } else {
        throw new Error(`weight ${spec.name}: unsupported storage ${spec.dtype}/${q?.dtype}`);
      }
      weights.set(spec.name, { shape: spec.shape, data });
    }
  }
  if (offset !== weightBytes.length) {
    throw new Error(`weights: manifest describes ${offset} bytes, found ${weightBytes.length}`);
  }
  return { layers: config.layers, weights };
}

export function inboundNames(layer: KerasLayer): string[] {
  return (layer.inbound_nodes[0] ?? []).map((n) => n[0]);
}
