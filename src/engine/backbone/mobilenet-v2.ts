import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError } from '../../errors';
import { readKerasModel, type KerasModel, type KerasModelJson } from './keras-model';

/**
 * The ImageNet MobileNetV2 that ships inside `nsfwjs@4.4.0` (MIT; weights from GantMan/nsfw_model,
 * MIT). nsfw_model froze Keras' ImageNet MobileNetV2 and fine-tuned only from `block_11_expand`
 * on, so blocks 0-10 carry ImageNet convolution weights (uint8-quantised). It is the only
 * ImageNet-derived backbone that installs from the npm registry alone.
 *
 * The files are UMD bundles; they are hash-checked before they are evaluated, so a different
 * nsfwjs release (new layout, new weights) fails loudly instead of silently changing every score.
 */

export const MOBILENET_V2_SOURCE = {
  package: 'nsfwjs@4.4.0',
  files: {
    'model.min.js': 'c32f104fd562b08cdff5ed69dfe1209643afa47e792fb12751d2949aa61a397a',
    'group1-shard1of1.min.js': 'ef2e0a63f7d2c4960b37b024b669313f65d3c45cd59e9042636c55b39de53517',
  },
} as const;

/** Combined hash recorded in model files as the extractor's identity. */
export const MOBILENET_V2_HASH = createHash('sha256').update(Object.values(MOBILENET_V2_SOURCE.files).join(':')).digest('hex').slice(0, 16);

let cached: KerasModel | undefined;

export function modelDirectory(): string {
  // nsfwjs' exports map hides package.json; its CJS entry sits at dist/cjs/index.js.
  return join(dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2');
}

export function loadMobileNetV2(): KerasModel {
  if (cached) return cached;
  const dir = modelDirectory();
  for (const [file, expected] of Object.entries(MOBILENET_V2_SOURCE.files)) {
    let actual: string;
    try {
      actual = createHash('sha256')
        .update(readFileSync(join(dir, file)))
        .digest('hex');
    } catch (err) {
      throw new AppError('MODEL_INCOMPATIBLE', `backbone file ${file} is missing: install ${MOBILENET_V2_SOURCE.package}`, {}, { cause: err });
    }
    if (actual !== expected) {
      throw new AppError('MODEL_INCOMPATIBLE', `backbone file ${file} has sha256 ${actual}; expected the one from ${MOBILENET_V2_SOURCE.package}`);
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const json = require(join(dir, 'model.min.js')) as KerasModelJson;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const b64 = require(join(dir, 'group1-shard1of1.min.js')) as string;
  cached = readKerasModel(json, Buffer.from(b64, 'base64'));
  return cached;
}
