import { GraphBuilder } from '../onnx/graph-builder';

/**
 * PatchCore's "locally aware patch features", as ONNX nodes after the backbone:
 * each chosen layer is averaged over a 3x3 neighbourhood (so a patch sees a little context),
 * resized to the grid of one reference layer, and the layers are concatenated on channels.
 * Running this inside the same ORT session as the backbone keeps the activations in native memory.
 */
export function appendFeatureHead(g: GraphBuilder, layers: string[], gridIndex: number, outputName = 'features', declareOutput = true): string {
  const grid = layers[gridIndex];
  const pooled = layers.map((t) => g.op('AveragePool', [t], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: 0 }));
  const gridShape = g.op('Shape', [pooled[gridIndex]]);
  const gridHW = g.op('Slice', [gridShape, g.ints('hw_start', [2]), g.ints('hw_end', [4])]);
  const resized = pooled.map((t, i) => {
    if (layers[i] === grid) return t;
    const shape = g.op('Shape', [t]);
    const nc = g.op('Slice', [shape, g.ints('nc_start', [0]), g.ints('nc_end', [2])]);
    const sizes = g.op('Concat', [nc, gridHW], { axis: 0 });
    const noRoi = g.floats('roi', [0], []);
    const noScales = g.floats('scales', [0], []);
    return g.op('Resize', [t, noRoi, noScales, sizes], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  });
  g.op('Concat', resized, { axis: 1 }, outputName);
  // A graph that goes on past the features (an export's scorer) keeps them inside.
  if (declareOutput) g.output(outputName, [1, 'channels', 'grid_h', 'grid_w']);
  return outputName;
}
