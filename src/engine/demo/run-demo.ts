#!/usr/bin/env node
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { imageLimits, loadConfig } from '../../config';
import { AnomalyModel, toLookoutResult } from '../detector';
import { setIntraOpThreads } from '../onnx/session';
import { ensureDemoModel } from './demo-model';
import { defectFor, png, textureRgb } from './synthetic';

/**
 * `npm run demo`: trains the demo model if needed, scores one clean and one damaged image made
 * in code, prints both results as Lookout for Vision's DetectAnomalyResult and writes the
 * damaged image and its mask beside the model so they can be opened side by side.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  setIntraOpThreads(config.ENGINE_THREADS);
  const dataDir = resolve(config.DATA_DIR);
  const modelDir = await ensureDemoModel(dataDir, (l) => process.stderr.write(`${l}\n`));
  const model = await AnomalyModel.load(modelDir, { limits: imageLimits(config) });
  try {
    const clean = await png(textureRgb(4242));
    const damaged = await png(textureRgb(4243, [{ ...defectFor(3), r: 12 }]));
    for (const [name, bytes] of [
      ['clean', clean],
      ['damaged', damaged],
    ] as const) {
      const r = await model.detect(bytes);
      const result = toLookoutResult(r);
      const file = join(dataDir, `demo-${name}.png`);
      await writeFile(file, bytes);
      if (r.mask) await writeFile(join(dataDir, `demo-${name}-mask.png`), r.mask.png);
      // The mask is long base64; the files above show it better than a terminal can.
      const shown = { ...result, AnomalyMask: result.AnomalyMask ? `<${r.mask!.png.length} bytes of PNG, written to demo-${name}-mask.png>` : undefined };
      process.stdout.write(`${name} image (${file}):\n${JSON.stringify({ DetectAnomalyResult: shown }, null, 2)}\n`);
    }
  } finally {
    await model.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
