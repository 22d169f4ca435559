import { float, GraphBuilder } from '../onnx/graph-builder';
import { inboundNames, type KerasLayer, type KerasModel } from './keras-model';

/**
 * Converts the convolutional part of a Keras model (the layer kinds MobileNet-class networks use)
 * into ONNX nodes appended to a `GraphBuilder`.
 *
 * Layout: Keras is NHWC, ONNX Conv is NCHW, so the graph input is NCHW and kernels are transposed
 * here once. BatchNormalization is folded into the convolution before it and ZeroPadding2D into
 * the convolution after it; both are exact rewrites that save a full pass over the activations.
 * Only the ancestors of the requested layers are converted, so the fine-tuned classifier head of
 * the source model never enters the graph.
 */

export interface ConvertOptions {
  /** Name of the NCHW float input tensor already declared on the builder. */
  input: string;
  /** Keras layer names whose outputs the caller wants. */
  outputs: string[];
}

const SUPPORTED = new Set(['InputLayer', 'ZeroPadding2D', 'Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'ReLU', 'Add']);

interface Conv {
  weight: Float32Array; // [cout, cin/group, kh, kw]
  bias: Float32Array; // [cout]
  dims: [number, number, number, number];
  group: number;
  strides: number[];
  pads?: number[]; // [top, left, bottom, right]
  autoPad?: 'SAME_UPPER';
}

export function convertKerasToOnnx(model: KerasModel, g: GraphBuilder, opts: ConvertOptions): Map<string, string> {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const needed = ancestors(byName, opts.outputs);
  const consumers = new Map<string, string[]>();
  for (const l of model.layers) for (const src of inboundNames(l)) consumers.set(src, [...(consumers.get(src) ?? []), l.name]);

  const tensorOf = new Map<string, string>();
  const pendingPad = new Map<string, number[]>(); // ZeroPadding2D name -> [top, left, bottom, right]
  const pendingConv = new Map<string, { input: string; conv: Conv }>(); // conv awaiting its BN

  const emitConv = (layerName: string, input: string, c: Conv): string => {
    const w = g.floats(`${layerName}_W`, c.dims, c.weight);
    const b = g.floats(`${layerName}_B`, [c.dims[0]], c.bias);
    const attrs: Record<string, number | number[] | string> = { group: c.group, strides: c.strides, kernel_shape: [c.dims[2], c.dims[3]] };
    if (c.autoPad) attrs.auto_pad = c.autoPad;
    else attrs.pads = c.pads ?? [0, 0, 0, 0];
    return g.op('Conv', [input, w, b], attrs, layerName);
  };

  for (const layer of model.layers) {
    if (!needed.has(layer.name)) continue;
    if (!SUPPORTED.has(layer.class_name)) throw new Error(`layer ${layer.name}: ${layer.class_name} is not supported`);
    const [src] = inboundNames(layer);
    const c = layer.config;
    switch (layer.class_name) {
      case 'InputLayer':
        tensorOf.set(layer.name, opts.input);
        break;
      case 'ZeroPadding2D': {
        const [[top, bottom], [left, right]] = c.padding as number[][];
        const next = consumers.get(layer.name) ?? [];
        const foldable = next.length === 1 && /Conv2D$/.test(byName.get(next[0])!.class_name) && byName.get(next[0])!.config.padding === 'valid';
        if (foldable) {
          pendingPad.set(layer.name, [top, left, bottom, right]);
          tensorOf.set(layer.name, tensorOf.get(src)!);
        } else {
          const pads = g.ints(`${layer.name}_pads`, [0, 0, top, left, 0, 0, bottom, right]);
          tensorOf.set(layer.name, g.op('Pad', [tensorOf.get(src)!, pads], {}, layer.name));
        }
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const conv = kerasConv(layer, model);
        if (c.padding === 'same') conv.autoPad = 'SAME_UPPER';
        else conv.pads = pendingPad.get(src) ?? [0, 0, 0, 0];
        const next = consumers.get(layer.name) ?? [];
        const bnNext = next.length === 1 && byName.get(next[0])!.class_name === 'BatchNormalization' && !opts.outputs.includes(layer.name);
        if (bnNext) {
          pendingConv.set(layer.name, { input: tensorOf.get(src)!, conv });
        } else {
          tensorOf.set(layer.name, emitConv(layer.name, tensorOf.get(src)!, conv));
        }
        break;
      }
      case 'BatchNormalization': {
        const bn = bnParams(layer, model);
        const pending = pendingConv.get(src);
        if (pending) {
          foldBatchNorm(pending.conv, bn);
          tensorOf.set(layer.name, emitConv(layer.name, pending.input, pending.conv));
        } else {
          const args = [bn.gamma, bn.beta, bn.mean, bn.variance].map((v, i) => g.floats(`${layer.name}_${i}`, [v.length], v));
          tensorOf.set(layer.name, g.op('BatchNormalization', [tensorOf.get(src)!, ...args], { epsilon: float(bn.epsilon) }, layer.name));
        }
        break;
      }
      case 'ReLU': {
        if ((c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0) throw new Error(`layer ${layer.name}: leaky/thresholded ReLU is not supported`);
        const x = tensorOf.get(src)!;
        if (c.max_value == null) tensorOf.set(layer.name, g.op('Relu', [x], {}, layer.name));
        else {
          const lo = g.floats(`${layer.name}_min`, [], [0]);
          const hi = g.floats(`${layer.name}_max`, [], [c.max_value]);
          tensorOf.set(layer.name, g.op('Clip', [x, lo, hi], {}, layer.name));
        }
        break;
      }
      case 'Add': {
        const ins = inboundNames(layer).map((n) => tensorOf.get(n)!);
        let acc = ins[0];
        for (let i = 1; i < ins.length; i++) acc = g.op('Add', [acc, ins[i]], {}, i === ins.length - 1 ? layer.name : undefined);
        tensorOf.set(layer.name, acc);
        break;
      }
    }
  }
  const result = new Map<string, string>();
  for (const name of opts.outputs) {
    const t = tensorOf.get(name);
    if (!t) throw new Error(`output layer ${name} was not produced`);
    result.set(name, t);
  }
  return result;
}

function ancestors(byName: Map<string, KerasLayer>, outputs: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...outputs];
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    const layer = byName.get(name);
    if (!layer) throw new Error(`unknown layer ${name}`);
    seen.add(name);
    stack.push(...inboundNames(layer));
  }
  return seen;
}

function weight(model: KerasModel, name: string): Float32Array {
  const w = model.weights.get(name);
  if (!w) throw new Error(`missing weight ${name}`);
  return w.data;
}

function kerasConv(layer: KerasLayer, model: KerasModel): Conv {
  const c = layer.config;
  const depthwise = layer.class_name === 'DepthwiseConv2D';
  const kName = `${layer.name}/${depthwise ? 'depthwise_kernel' : 'kernel'}`;
  const k = model.weights.get(kName);
  if (!k) throw new Error(`missing weight ${kName}`);
  const [kh, kw, cin, last] = k.shape;
  if ((c.dilation_rate ?? [1, 1]).some((d: number) => d !== 1)) throw new Error(`layer ${layer.name}: dilation is not supported`);
  if (c.activation && c.activation !== 'linear') throw new Error(`layer ${layer.name}: fused activation ${c.activation} is not supported`);
  const cout = depthwise ? cin * last : last;
  const cinPerGroup = depthwise ? 1 : cin;
  const out = new Float32Array(cout * cinPerGroup * kh * kw);
  // Keras kernel index: ((y * kw + x) * cin + i) * last + j
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let j = 0; j < last; j++) {
          const v = k.data[((y * kw + x) * cin + i) * last + j];
          const o = depthwise ? i * last + j : j;
          const ci = depthwise ? 0 : i;
          out[((o * cinPerGroup + ci) * kh + y) * kw + x] = v;
        }
  const bias = c.use_bias ? Float32Array.from(weight(model, `${layer.name}/bias`)) : new Float32Array(cout);
  return { weight: out, bias, dims: [cout, cinPerGroup, kh, kw], group: depthwise ? cin : 1, strides: c.strides };
}

interface BatchNorm {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

function bnParams(layer: KerasLayer, model: KerasModel): BatchNorm {
  const c = layer.config;
  const mean = weight(model, `${layer.name}/moving_mean`);
  const n = mean.length;
  return {
    gamma: c.scale === false ? new Float32Array(n).fill(1) : weight(model, `${layer.name}/gamma`),
    beta: c.center === false ? new Float32Array(n) : weight(model, `${layer.name}/beta`),
    mean,
    variance: weight(model, `${layer.name}/moving_variance`),
    epsilon: c.epsilon ?? 1e-3,
  };
}

/** y = gamma * (conv(x) + b - mean) / sqrt(var + eps) + beta, rewritten as one convolution. */
function foldBatchNorm(conv: Conv, bn: BatchNorm): void {
  const [cout, cin, kh, kw] = conv.dims;
  const per = cin * kh * kw;
  for (let o = 0; o < cout; o++) {
    const s = bn.gamma[o] / Math.sqrt(bn.variance[o] + bn.epsilon);
    for (let i = 0; i < per; i++) conv.weight[o * per + i] *= s;
    conv.bias[o] = bn.beta[o] + (conv.bias[o] - bn.mean[o]) * s;
  }
}
