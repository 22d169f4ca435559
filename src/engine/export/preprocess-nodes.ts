import { onnx } from 'onnx-proto';
import type { GraphBuilder } from '../onnx/graph-builder';

/**
 * The server's image preparation as ONNX nodes, from decoded pixels to the backbone's input:
 * crop to the region (decode.ts roiToPixels, rounding as Math.round does), resize to the model's
 * input as sharp does (resizeAxis), round to bytes as sharp's output is, and scale.
 */

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** Math.round for the non-negative values here: ONNX Round rounds halves to even. */
const roundHalfUp = (g: GraphBuilder, x: string) => g.op('Floor', [g.op('Add', [x, g.floats('half', [], [0.5])])]);

/**
 * One axis of sharp's `resize(..., { kernel: 'cubic' })`, as libvips does it. Shrinking is a
 * reduce with the Catmull-Rom kernel widened by the factor: ONNX Resize with antialias. Enlarging
 * is an affine with the same kernel that samples source position `out * in / out_size - 0.5`,
 * edges repeated, which no ONNX Resize mode does; so it is written out: four taps, gathered.
 * Both are computed and the one the sizes call for is kept (the other costs a few ms).
 */
function resizeAxis(g: GraphBuilder, x: string, axis: 2 | 3, size: number): string {
  const down = g.op('Resize', [x, '', '', g.ints('axis_size', [size])], {
    mode: 'cubic',
    cubic_coeff_a: { float: -0.5 },
    antialias: 1,
    coordinate_transformation_mode: 'half_pixel',
    axes: [axis],
  });
  const nIn = g.op('Cast', [g.op('Slice', [g.op('Shape', [x]), g.ints('axis_start', [axis]), g.ints('axis_end', [axis + 1])])], { to: FLOAT });
  const scale = g.op('Div', [nIn, g.floats('axis_out', [1], [size])]);
  const positions = g.op('Sub', [
    g.op('Mul', [
      g.floats(
        'out_index',
        [size],
        Float32Array.from({ length: size }, (_, i) => i),
      ),
      scale,
    ]),
    g.floats('half', [], [0.5]),
  ]);
  const floor = g.op('Floor', [positions]);
  const frac = g.op('Sub', [positions, floor]);
  const last = g.op('Sub', [nIn, g.floats('one', [], [1])]);
  const shape = axis === 2 ? [1, 1, size, 1] : [1, 1, 1, size];
  let sum = '';
  for (const k of [-1, 0, 1, 2]) {
    const index = g.op('Cast', [g.op('Clip', [g.op('Add', [floor, g.floats('tap', [], [k])]), g.floats('zero', [], [0]), last])], { to: INT64 });
    const distance = g.op('Abs', [g.op('Sub', [frac, g.floats('tap_at', [], [k])])]);
    const weight = g.op('Reshape', [catmullRom(g, distance, k === 0 || k === 1), g.ints('weight_shape', shape)]);
    const term = g.op('Mul', [g.op('Gather', [x, index], { axis }), weight]);
    sum = sum ? g.op('Add', [sum, term]) : term;
  }
  return g.op('Where', [g.op('Less', [nIn, g.floats('axis_out_cmp', [1], [size])]), sum, down]);
}

/** The Catmull-Rom weight at distance t: the inner piece for t <= 1, the outer for 1 < t < 2. */
function catmullRom(g: GraphBuilder, t: string, inner: boolean): string {
  const t2 = g.op('Mul', [t, t]);
  const t3 = g.op('Mul', [t2, t]);
  const poly = (c3: number, c2: number, c1: number, c0: number) =>
    g.op('Add', [
      g.op('Add', [g.op('Mul', [t3, g.floats('c3', [], [c3])]), g.op('Mul', [t2, g.floats('c2', [], [c2])])]),
      g.op('Add', [g.op('Mul', [t, g.floats('c1', [], [c1])]), g.floats('c0', [], [c0])]),
    ]);
  return inner ? poly(1.5, -2.5, 0, 1) : poly(-0.5, 2.5, -4, 2);
}

/**
 * `image` is uint8 [height, width, 3]; `roi` float [4] (left, top, width, height as fractions).
 * Returns float [1, 3, input.height, input.width], normalised.
 */
export function preprocess(
  g: GraphBuilder,
  image: string,
  roi: string,
  input: { width: number; height: number },
  norm: { mean: number[]; std: number[] },
): string {
  const pixels = g.op('Cast', [image], { to: FLOAT });
  const hw = g.op('Cast', [g.op('Slice', [g.op('Shape', [image]), g.ints('zero', [0]), g.ints('two', [2])])], { to: FLOAT });
  // roi is (left, top, width, height); the image's axes are (y, x).
  const start0 = roundHalfUp(g, g.op('Mul', [g.op('Gather', [roi, g.ints('top_left', [1, 0])], { axis: 0 }), hw]));
  const start = g.op('Min', [g.op('Max', [start0, g.floats('zero_f', [], [0])]), g.op('Sub', [hw, g.floats('one_f', [], [1])])]);
  const len0 = roundHalfUp(g, g.op('Mul', [g.op('Gather', [roi, g.ints('height_width', [3, 2])], { axis: 0 }), hw]));
  const len = g.op('Min', [g.op('Max', [len0, g.floats('one_len', [], [1])]), g.op('Sub', [hw, start])]);
  const startI = g.op('Cast', [start], { to: INT64 });
  const endI = g.op('Cast', [g.op('Add', [start, len])], { to: INT64 });
  const cropped = g.op('Slice', [pixels, startI, endI, g.ints('axes_yx', [0, 1])]);
  const nchw = g.op('Unsqueeze', [g.op('Transpose', [cropped], { perm: [2, 0, 1] }), g.ints('batch_axis', [0])]);
  const resized = resizeAxis(g, resizeAxis(g, nchw, 3, input.width), 2, input.height);
  const bytes = g.op('Clip', [roundHalfUp(g, resized), g.floats('byte_min', [], [0]), g.floats('byte_max', [], [255])]);
  const scaled = g.op('Div', [bytes, g.floats('byte_scale', [], [255])]);
  const unit = norm.mean.every((m) => m === 0) && norm.std.every((s) => s === 1);
  if (unit) return scaled;
  return g.op('Div', [g.op('Sub', [scaled, g.floats('mean', [1, 3, 1, 1], norm.mean)]), g.floats('std', [1, 3, 1, 1], norm.std)]);
}
