import { GraphBuilder } from '../onnx/graph-builder';

/**
 * A weight-free fallback backbone: fixed, analytic filters (smoothed colour, gradient and
 * Laplacian magnitudes per channel) at two scales. It needs no package with weights, so the
 * engine still works where nsfwjs is missing or refused; it is markedly weaker on objects
 * (see the engine notes), and the benchmark reports it as such.
 */
export const HANDCRAFTED_LAYERS = ['fine', 'coarse'];

function filterBank(): { weight: Float32Array; count: number } {
  const k = 5;
  const gauss = (x: number, y: number, s: number) => Math.exp(-(x * x + y * y) / (2 * s * s));
  const kernels: ((x: number, y: number) => number)[] = [
    (x, y) => gauss(x, y, 1.2),
    (x, y) => -x * gauss(x, y, 1.0),
    (x, y) => -y * gauss(x, y, 1.0),
    (x, y) => (x * x + y * y - 2) * gauss(x, y, 1.0),
  ];
  const perChannel = kernels.length;
  const count = 3 * perChannel;
  // Depthwise-style bank as a grouped conv: group = 3 input channels, 4 filters each.
  const weight = new Float32Array(count * k * k);
  for (let c = 0; c < 3; c++)
    kernels.forEach((fn, j) => {
      const o = c * perChannel + j;
      let norm = 0;
      for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) norm += Math.abs(fn(x - 2, y - 2));
      for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) weight[(o * k + y) * k + x] = fn(x - 2, y - 2) / norm;
    });
  return { weight, count };
}

export function buildHandcraftedBackbone(g: GraphBuilder, input: string): string[] {
  const { weight, count } = filterBank();
  const respond = (x: string, tag: string) => {
    const w = g.floats(`${tag}_filters`, [count, 1, 5, 5], weight);
    const b = g.floats(`${tag}_bias`, [count], new Float32Array(count));
    const r = g.op('Conv', [x, w, b], { group: 3, kernel_shape: [5, 5], pads: [2, 2, 2, 2] });
    // Magnitudes make the responses invariant to edge polarity, as texture descriptors usually are.
    return g.op('Abs', [r]);
  };
  const fine = g.op('AveragePool', [respond(input, 'fine')], { kernel_shape: [8, 8], strides: [8, 8] }, 'fine');
  const half = g.op('AveragePool', [input], { kernel_shape: [2, 2], strides: [2, 2] });
  const coarse = g.op('AveragePool', [respond(half, 'coarse')], { kernel_shape: [8, 8], strides: [8, 8] }, 'coarse');
  return [fine, coarse];
}
