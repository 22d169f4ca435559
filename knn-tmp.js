const ort = require('onnxruntime-node');
const { GraphBuilder } = require('./dist/engine/onnx/graph-builder');
const ms = (t) => (Number(process.hrtime.bigint() - t) / 1e6);
async function build(variant, M, D) {
  const g = new GraphBuilder('k');
  const q = g.input('q', [D, 'n']);
  const bank = Float32Array.from({ length: M * D }, () => Math.random());
  if (variant === 'rows') {
    const b = g.floats('b', [M, D], bank);
    const c = g.floats('c', [M, 1], new Float32Array(M));
    const p = g.op('Gemm', [b, q, c], { alpha: { float: -2 } });
    g.op('ReduceMin', [p], { axes: [0], keepdims: 0 }, 'out');
  } else {
    const bt = new Float32Array(M * D); for (let r = 0; r < M; r++) for (let k = 0; k < D; k++) bt[k * M + r] = bank[r * D + k];
    const b = g.floats('bt', [D, M], bt);
    const c = g.floats('c', [1, M], new Float32Array(M));
    const p = g.op('Gemm', [q, b, c], { transA: 1, alpha: { float: -2 } });
    g.op('ReduceMin', [p], { axes: [1], keepdims: 0 }, 'out');
  }
  g.output('out', ['n']);
  return ort.InferenceSession.create(g.toBytes(), { intraOpNumThreads: +(process.env.T||2), interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
}
(async () => {
  const M = 3283, D = 120, N = 1728;
  const Q = new ort.Tensor('float32', Float32Array.from({ length: D * N }, () => Math.random()), [D, N]);
  for (const v of ['rows', 'cols', 'rows', 'cols']) {
    const s = await build(v, M, D);
    const times = [];
    for (let i = 0; i < 15; i++) { const t = process.hrtime.bigint(); await s.run({ q: Q }); times.push(ms(t)); }
    times.sort((a, b) => a - b);
    console.log(v, 'min', times[0].toFixed(1), 'median', times[7].toFixed(1));
  }
})();
