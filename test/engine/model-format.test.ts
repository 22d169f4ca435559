import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AnomalyModel } from '../../src/engine/detector';
import { maxOf } from '../../src/engine/scoring/anomaly-map';
import { png, tempDir, textureRgb, type Defect } from '../helpers/images';

/**
 * Models outlive engine versions. `fixtures/model-format-1` was trained by the format-1 engine
 * (the max of the blurred map), which also recorded what it scored two probe images made in code;
 * this engine must load it and score them the same. A model from a newer format is refused with
 * a message that says so, not misread.
 */

const FIXTURE = join(__dirname, '..', 'fixtures', 'model-format-1');

interface Expected {
  size: number;
  probes: { clean: { seed: number }; defect: { seed: number; defect: Defect } };
  expected: Record<'clean' | 'defect', { score: number; isAnomalous: boolean; confidence: number }>;
}

test('a format-1 model loads and scores its probes as the format-1 engine did', async () => {
  const e = JSON.parse(await readFile(join(FIXTURE, 'expected.json'), 'utf8')) as Expected;
  const model = await AnomalyModel.load(FIXTURE);
  try {
    expect(model.header.formatVersion).toBe(1);
    expect(model.header.scoring.method).toEqual({ kind: 'max' });
    expect(model.header.augmentation.rotations).toEqual([]);
    const images = {
      clean: await png(textureRgb(e.probes.clean.seed, [], e.size), e.size),
      defect: await png(textureRgb(e.probes.defect.seed, [e.probes.defect.defect], e.size), e.size),
    };
    for (const name of ['clean', 'defect'] as const) {
      const r = await model.detect(images[name]);
      expect(r.score).toBeCloseTo(e.expected[name].score, 3);
      expect(r.isAnomalous).toBe(e.expected[name].isAnomalous);
      expect(r.confidence).toBeCloseTo(e.expected[name].confidence, 6);
      // Format 1's score is the peak of the map it returns, and its heat maps use its threshold.
      expect(r.score).toBeCloseTo(maxOf(r.anomalyMap.data), 4);
      expect(r.mapThreshold).toBe(model.header.threshold);
    }
  } finally {
    await model.close();
  }
});

test('a model from a newer format is refused as incompatible, naming the versions', async () => {
  const dir = await tempDir();
  try {
    await cp(FIXTURE, dir.path, { recursive: true });
    const header = JSON.parse(await readFile(join(dir.path, 'model.json'), 'utf8'));
    await writeFile(join(dir.path, 'model.json'), JSON.stringify({ ...header, formatVersion: 3 }));
    await expect(AnomalyModel.load(dir.path)).rejects.toMatchObject({
      code: 'MODEL_INCOMPATIBLE',
      message: expect.stringMatching(/format version 3, made by a newer engine.*reads versions 1 and 2/),
    });
    // A known version with a scoring method this engine does not know is damage, not a crash.
    await writeFile(join(dir.path, 'model.json'), JSON.stringify({ ...header, formatVersion: 2, scoring: { ...header.scoring, method: { kind: 'oracle' } } }));
    await expect(AnomalyModel.load(dir.path)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringContaining('scoring.method') });
  } finally {
    await dir.cleanup();
  }
});
