import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { png, textureRgb } from '../helpers/images';
import { copyOfDataDir, dataDirWithDemoModel, detect, startGateway } from '../gateway/helpers';

/**
 * Damaged model files: the demo model is the gateway's own and is rebuilt at start; a user's
 * model is theirs, and detecting with it says MODEL_CORRUPT (never "start it first"), with no
 * server path in the message.
 */

test('a damaged demo model is rebuilt; a damaged user model is MODEL_CORRUPT', async () => {
  const base = await dataDirWithDemoModel();
  const data = await copyOfDataDir(base.path);
  try {
    const demo = join(data.path, 'projects', 'demo', 'models', '1');
    // A user's model (as the CLI would leave it), then both damaged the same way.
    await cp(demo, join(data.path, 'projects', 'parts', 'models', '1'), { recursive: true });
    for (const dir of [demo, join(data.path, 'projects', 'parts', 'models', '1')]) {
      const bank = join(dir, 'bank.f32');
      const bytes = await readFile(bank);
      await writeFile(bank, bytes.subarray(0, bytes.length - 7));
    }
    const gw = await startGateway(data.path, { DEMO_MODEL: 'true' });
    try {
      const image = await png(textureRgb(31));
      const ok = await detect(gw.url, image);
      expect(ok.status).toBe(200);
      expect(typeof ok.body.data.detectAnomalies.isAnomalous).toBe('boolean');
      const broken = await detect(gw.url, image, { project: 'parts', version: '1' });
      expect(broken.body.errors[0].extensions.code).toBe('MODEL_CORRUPT');
      expect(broken.body.errors[0].message).toMatch(/truncated/);
      expect(broken.body.errors[0].message).not.toContain(data.path);
    } finally {
      await gw.stop();
    }
  } finally {
    await data.cleanup();
    await base.cleanup();
  }
});
