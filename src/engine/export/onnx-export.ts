import { onnx } from 'onnx-proto';
import { AppError } from '../../errors';
import { convertKerasToOnnx } from '../backbone/keras-to-onnx';
import { loadMobileNetV2 } from '../backbone/mobilenet-v2';
import { modelCalibration } from '../calibration';
import { getExtractor, mobileNetGridIndex } from '../features/extractor';
import { appendFeatureHead } from '../features/feature-head';
import { buildHandcraftedBackbone } from '../features/handcrafted';
import type { TrainedHeader } from '../model/model-header';
import { loadModel, readModelHeader } from '../model/model-store';
import { readSensitivity } from '../model/operating-point';
import { GraphBuilder } from '../onnx/graph-builder';
import { blur, classMap, imageScore, judge, nearestDistances, type Grid } from './scoring-nodes';
import { preprocess } from './preprocess-nodes';

/**
 * A trained model as one self-contained ONNX graph that onnxruntime (Python, C++, web) runs
 * without this project: decoded pixels in, the verdict out, every step of the server's path in
 * between (preprocess-nodes.ts, the backbone and feature head, scoring-nodes.ts).
 *
 * Inputs: `image` uint8 [height, width, 3] (RGB, any size) and `roi` float [4] (left, top,
 * width, height as fractions: the model's own is the metadata's `roi`; [0, 0, 1, 1] for an image
 * already cropped). Outputs: `anomaly_map` [grid_h, grid_w] (the
 * blurred patch distances heat maps read), `score` [1], `confidence` [1], `is_anomalous` [1]
 * bool, and for segmentation models `anomaly_class` [grid_h, grid_w] (1 + the nearest type).
 * `metadata_props` carry the threshold, the map and pixel thresholds, the types and their colours.
 */

export const EXPORT_FORMAT = 'lookout-gateway.onnx-export/1';
const OPSET = 18;
const UINT8 = onnx.TensorProto.DataType.UINT8;
const BOOL = onnx.TensorProto.DataType.BOOL;
const INT64 = onnx.TensorProto.DataType.INT64;

export interface ExportedModel {
  bytes: Uint8Array;
  metadata: Record<string, string>;
}

export async function exportModel(dir: string): Promise<ExportedModel> {
  const header = await readModelHeader(dir);
  if ('imported' in header)
    throw new AppError('MODEL_INCOMPATIBLE', `The model was imported from anomalib; its ONNX file is ${header.imported.file} in its folder.`);
  const { bank, prototypes } = await loadModel(dir, header);
  const spec = header.extractor.spec;
  if (spec.kind === 'onnx')
    throw new AppError('NOT_SUPPORTED', 'Export covers the built-in backbones (mobilenet-v2, handcrafted); this model uses a custom ONNX backbone.');
  const grid = await gridOf(header);
  const calibration = modelCalibration(header, await readSensitivity(dir));

  const g = new GraphBuilder('lookout_gateway_model', OPSET);
  const image = g.input('image', ['height', 'width', 3], UINT8);
  const r = header.roi;
  // A required input rather than a default: onnxruntime-node (and web) cannot override
  // initializers, and an image the caller has already cropped needs [0, 0, 1, 1] here.
  const roi = g.input('roi', [4]);
  const threshold = g.floats('threshold', [1], [calibration.threshold]);
  const pixels = preprocess(g, image, roi, header.input, { mean: [0, 0, 0], std: [1, 1, 1] });

  const features =
    spec.kind === 'mobilenet-v2' ? mobileNetFeatures(g, pixels, spec.layers) : appendFeatureHead(g, buildHandcraftedBackbone(g, pixels), 0, 'features', false);

  const { distances, queries } = nearestDistances(g, features, grid, bank);
  const map = blur(g, distances, header.scoring.blurSigma);
  g.op('Reshape', [map, g.ints('map_shape', [grid.height, grid.width])], {}, 'anomaly_map');
  const score = g.op('Identity', [imageScore(g, distances, map, header.scoring.method, grid.width * grid.height)], {}, 'score');
  judge(g, score, threshold, calibration.temperature);
  g.output('anomaly_map', [grid.height, grid.width]);
  g.output('score', [1]);
  g.output('confidence', [1]);
  g.output('is_anomalous', [1], BOOL);
  const seg = header.segmentation;
  if (seg && prototypes) {
    classMap(g, queries, grid, prototypes);
    g.output('anomaly_class', [grid.height, grid.width], INT64);
  }

  const metadata: Record<string, string> = {
    format: EXPORT_FORMAT,
    threshold: String(calibration.threshold),
    temperature: String(calibration.temperature),
    map_threshold: String(header.scoring.mapThreshold ?? header.threshold),
    input_width: String(header.input.width),
    input_height: String(header.input.height),
    roi: JSON.stringify(r ? [r.left, r.top, r.width, r.height] : [0, 0, 1, 1]),
    scoring: JSON.stringify(header.scoring.method),
    extractor: JSON.stringify(spec),
    created_at: header.createdAt,
    ...(seg ? { pixel_threshold: String(seg.pixelThreshold), classes: JSON.stringify(seg.classes) } : {}),
  };
  for (const [k, v] of Object.entries(metadata)) g.meta(k, v);
  return { bytes: g.toBytes(), metadata };
}

function mobileNetFeatures(g: GraphBuilder, pixels: string, layers: string[]): string {
  const named = convertKerasToOnnx(loadMobileNetV2(), g, { input: pixels, outputs: layers });
  return appendFeatureHead(
    g,
    layers.map((l) => named.get(l)!),
    mobileNetGridIndex(layers),
    'features',
    false,
  );
}

/** The feature grid the model's input size gives: asked of the extractor itself, once. */
async function gridOf(header: TrainedHeader): Promise<Grid> {
  const extractor = await getExtractor(header.extractor.spec);
  const { width, height } = header.input;
  const f = await extractor.extract({ width, height, data: Buffer.alloc(width * height * 3) });
  return { channels: f.channels, height: f.height, width: f.width };
}
