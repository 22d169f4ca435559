import { onnx } from 'onnx-proto';
import { GraphBuilder } from '../../src/engine/onnx/graph-builder';

/**
 * ONNX files shaped as anomalib exports them, built in code: same input and output names, shapes
 * and types, and for v1 the same metadata.json keys. What they compute is simple and known, so a
 * test can work out the expected score by hand: "redness" (red minus green) per pixel.
 */

const BOOL = onnx.TensorProto.DataType.BOOL;

/** The red and green planes of a [1, 3, H, W] input. */
function redMinusGreen(g: GraphBuilder, input: string): string {
  const red = g.op('Gather', [input, g.ints('r', [0])], { axis: 1 });
  const green = g.op('Gather', [input, g.ints('g', [1])], { axis: 1 });
  return g.op('Sub', [red, green]);
}

/**
 * anomalib v2: normalisation inside, 0-1 in; `pred_score` [1], `pred_label` [1] bool,
 * `anomaly_map` [1, 1, H, W] and `pred_mask` [1, 1, H, W] bool, normalised so 0.5 is the threshold.
 * Here the map is sigmoid((red - green - 0.3) * 20).
 */
export function anomalibV2(size = 64, opts: { inputName?: string } = {}): Uint8Array {
  const g = new GraphBuilder('anomalib-v2');
  const input = g.input(opts.inputName ?? 'input', [1, 3, size, size]);
  const shifted = g.op('Sub', [redMinusGreen(g, input), g.floats('c', [1], [0.3])]);
  const map = g.op('Sigmoid', [g.op('Mul', [shifted, g.floats('k', [1], [20])])], {}, 'anomaly_map');
  const score = g.op('ReduceMax', [map], { axes: [1, 2, 3], keepdims: 0 }, 'pred_score');
  const half = g.floats('half', [1], [0.5]);
  g.op('GreaterOrEqual', [score, half], {}, 'pred_label');
  g.op('GreaterOrEqual', [map, half], {}, 'pred_mask');
  g.output('pred_score', [1]);
  g.output('pred_label', [1], BOOL);
  g.output('anomaly_map', [1, 1, size, size]);
  g.output('pred_mask', [1, 1, size, size], BOOL);
  return g.toBytes();
}

/**
 * anomalib v1: ImageNet-normalised input, one raw map `output` [1, 1, H, W] = 3 * relu(red - green)
 * (on normalised planes); its metadata gives thresholds and min-max figures.
 */
export function anomalibV1(size = 64): Uint8Array {
  const g = new GraphBuilder('anomalib-v1');
  const input = g.input('input', [1, 3, size, size]);
  g.op('Mul', [g.op('Relu', [redMinusGreen(g, input)]), g.floats('k', [1], [3])], {}, 'output');
  g.output('output', [1, 1, size, size]);
  return g.toBytes();
}

export const V1_METADATA = {
  task: 'segmentation',
  transform: {
    __version__: '1.3.1',
    transform: {
      __class_fullname__: 'Compose',
      transforms: [
        { __class_fullname__: 'Resize', height: 64, width: 64, interpolation: 1 },
        { __class_fullname__: 'Normalize', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], max_pixel_value: 255 },
        { __class_fullname__: 'ToTensorV2' },
      ],
    },
  },
  image_threshold: 5,
  pixel_threshold: 4,
  min: 0,
  max: 40,
};

/** The v1 raw value of a pixel, as the graph above computes it on the normalised planes. */
export function v1Raw([r, gr]: [number, number, number]): number {
  const red = (r / 255 - 0.485) / 0.229;
  const green = (gr / 255 - 0.456) / 0.224;
  return 3 * Math.max(0, red - green);
}

/** A graph with two inputs: not an anomalib export. */
export function twoInputs(size = 64): Uint8Array {
  const g = new GraphBuilder('two');
  const a = g.input('a', [1, 3, size, size]);
  const b = g.input('b', [1, 3, size, size]);
  g.op('Add', [a, b], {}, 'anomaly_map');
  g.output('anomaly_map', [1, 3, size, size]);
  return g.toBytes();
}

/** One input, but its only output is a score: neither v2 nor a v1 map. */
export function scoreOnly(size = 64): Uint8Array {
  const g = new GraphBuilder('score');
  const x = g.input('input', [1, 3, size, size]);
  g.op('ReduceMax', [x], { axes: [1, 2, 3], keepdims: 0 }, 'score');
  g.output('score', [1]);
  return g.toBytes();
}

/** A grey-scale input [1, 1, H, W]: anomalib exports take RGB. */
export function greyInput(size = 64): Uint8Array {
  const g = new GraphBuilder('grey');
  const x = g.input('input', [1, 1, size, size]);
  g.op('Identity', [x], {}, 'anomaly_map');
  g.op('ReduceMax', [x], { axes: [1, 2, 3], keepdims: 0 }, 'pred_score');
  g.output('anomaly_map', [1, 1, size, size]);
  g.output('pred_score', [1]);
  return g.toBytes();
}
