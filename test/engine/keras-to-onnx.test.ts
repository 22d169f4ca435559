import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { convertKerasToOnnx } from '../../src/engine/backbone/keras-to-onnx';
import { loadMobileNetV2, modelDirectory } from '../../src/engine/backbone/mobilenet-v2';
import { GraphBuilder } from '../../src/engine/onnx/graph-builder';

/**
 * Golden test: the converted backbone must compute what TensorFlow.js computes from the same
 * Keras JSON and weights. tfjs is the reference implementation nsfwjs itself runs on.
 */
const LAYERS = ['block_2_add', 'block_5_add', 'block_9_add', 'block_12_add'];
const H = 64;
const W = 96;

function testImage(): Float32Array {
  // A deterministic, non-trivial pattern (gradients plus a checkerboard) in NHWC, RGB/255.
  const img = new Float32Array(H * W * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < 3; c++) {
        const checker = ((x >> 3) + (y >> 3)) % 2 ? 40 : 0;
        img[(y * W + x) * 3 + c] = ((x * 2 + y * (c + 1) + checker) % 256) / 255;
      }
  return img;
}

async function referenceActivations(img: Float32Array): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  await tf.setBackend('cpu');
  const json = require(join(modelDirectory(), 'model.min.js'));
  const weights = Buffer.from(require(join(modelDirectory(), 'group1-shard1of1.min.js')) as string, 'base64');
  const topology = JSON.parse(JSON.stringify(json.modelTopology));
  const cfg = topology.model_config.config;
  // Let tfjs accept any input size and stop at the deepest layer under test, so its head
  // (Flatten needs a fixed size) is not built.
  cfg.layers[0].config.batch_input_shape = [null, null, null, 3];
  cfg.layers = cfg.layers.slice(0, cfg.layers.findIndex((l: { name: string }) => l.name === LAYERS.at(-1)) + 1);
  cfg.output_layers = LAYERS.map((n) => [n, 0, 0]);
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: topology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
    }),
    { strict: false },
  );
  const ys = model.predict(tf.tensor4d(img, [1, H, W, 3])) as tf.Tensor[];
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (let i = 0; i < LAYERS.length; i++) out.set(LAYERS[i], { shape: ys[i].shape, data: (await ys[i].data()) as Float32Array });
  return out;
}

test('converted MobileNetV2 matches tfjs activations on the same input', async () => {
  const g = new GraphBuilder('golden');
  const input = g.input('image', [1, 3, 'h', 'w']);
  const names = convertKerasToOnnx(loadMobileNetV2(), g, { input, outputs: LAYERS });
  for (const t of names.values()) g.output(t, [1, 'c', 'oh', 'ow']);
  const session = await ort.InferenceSession.create(g.toBytes());

  const img = testImage();
  const nchw = new Float32Array(3 * H * W);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) nchw[c * H * W + y * W + x] = img[(y * W + x) * 3 + c];
  const got = await session.run({ image: new ort.Tensor('float32', nchw, [1, 3, H, W]) });
  const want = await referenceActivations(img);

  for (const layer of LAYERS) {
    const ref = want.get(layer)!;
    const [, h, w, c] = ref.shape;
    const mine = got[names.get(layer)!];
    expect(mine.dims).toEqual([1, c, h, w]);
    const data = mine.data as Float32Array;
    let maxDiff = 0;
    let maxAbs = 0;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) {
          const a = ref.data[(y * w + x) * c + k];
          maxDiff = Math.max(maxDiff, Math.abs(a - data[k * h * w + y * w + x]));
          maxAbs = Math.max(maxAbs, Math.abs(a));
        }
    expect(maxAbs).toBeGreaterThan(1); // the layer is alive, so a match means something
    expect(maxDiff).toBeLessThan(1e-3);
  }
  await session.release();
});

test('an unknown or unsupported layer fails loudly', () => {
  const model = loadMobileNetV2();
  const g = new GraphBuilder('bad');
  const input = g.input('image', [1, 3, 'h', 'w']);
  expect(() => convertKerasToOnnx(model, g, { input, outputs: ['no_such_layer'] })).toThrow(/unknown layer/);
  expect(() => convertKerasToOnnx(model, g, { input, outputs: ['dense_3'] })).toThrow(/not supported/);
});
