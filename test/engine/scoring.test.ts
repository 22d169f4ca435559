import { calibrate, verdict } from '../../src/engine/calibration';
import { auroc, bestF1Threshold, bestPixelThreshold, confusionAt, pixelAuroc } from '../../src/engine/metrics';
import { gaussianBlur, resizeBilinear } from '../../src/engine/scoring/anomaly-map';
import { greedyCoreset } from '../../src/engine/scoring/coreset';
import { NearestNeighbourIndex } from '../../src/engine/scoring/knn';
import { seededRng } from '../../src/engine/random';
import { pixelMap, segment } from '../../src/engine/segmentation';
import sharp from 'sharp';

describe('metrics', () => {
  test('AUROC: perfect, reversed, chance and ties', () => {
    expect(auroc([1, 2, 3], [4, 5])).toBe(1);
    expect(auroc([4, 5], [1, 2, 3])).toBe(0);
    expect(auroc([1, 2], [1, 2])).toBe(0.5);
    expect(auroc([1, 3], [2, 4])).toBe(0.75);
    expect(auroc([], [1])).toBeNull();
  });

  test('pixel AUROC by histogram agrees with the exact rank formula', () => {
    const rng = seededRng(3);
    const scores = new Float32Array(5000);
    const labels = new Uint8Array(5000);
    for (let i = 0; i < scores.length; i++) {
      labels[i] = rng() < 0.1 ? 1 : 0;
      scores[i] = rng() + labels[i] * 0.5;
    }
    const exact = auroc(
      [...scores].filter((_, i) => !labels[i]),
      [...scores].filter((_, i) => labels[i]),
    )!;
    expect(pixelAuroc(scores, labels)).toBeCloseTo(exact, 3);
  });

  test('the F1-optimal pixel threshold separates separable pixels', () => {
    const scores = Float32Array.from([0.1, 0.2, 0.3, 0.35, 0.8, 0.9, 1.0]);
    const labels = Uint8Array.from([0, 0, 0, 0, 1, 1, 1]);
    const t = bestPixelThreshold(scores, labels)!;
    expect(t).toBeGreaterThan(0.35);
    expect(t).toBeLessThanOrEqual(0.8);
    expect(bestPixelThreshold(scores, new Uint8Array(7))).toBeNull();
  });

  test('precision, recall and F1 at a threshold, and the F1-optimal threshold', () => {
    expect(confusionAt([1, 2, 6], [5, 7, 8], 4.5)).toEqual({ precision: 0.75, recall: 1, f1: (2 * 0.75) / 1.75 });
    const best = bestF1Threshold([1, 2, 3], [5, 6]);
    expect(best.f1).toBe(1);
    expect(best.threshold).toBeGreaterThan(3);
    expect(best.threshold).toBeLessThanOrEqual(5);
  });
});

describe('calibration', () => {
  test('a score at the threshold is a coin toss; far below is confidently normal', () => {
    const c = calibrate([10, 11, 12, 12.5, 13], [20, 22, 25]);
    expect(c.threshold).toBeGreaterThan(13);
    expect(c.threshold).toBeLessThanOrEqual(20);
    expect(verdict(c.threshold, c).confidence).toBeCloseTo(0.5, 6);
    expect(verdict(c.threshold - 1e-9, c)).toMatchObject({ isAnomalous: false });
    const clear = verdict(5, c);
    expect(clear.isAnomalous).toBe(false);
    expect(clear.confidence).toBeGreaterThan(0.95);
    const bad = verdict(40, c);
    expect(bad.isAnomalous).toBe(true);
    expect(bad.confidence).toBeGreaterThan(0.95);
  });

  test('with normals only, the threshold sits above every held-out normal and the median normal gets 95 %', () => {
    const normals = [10, 11, 12, 13, 14];
    const c = calibrate(normals, []);
    expect(c.threshold).toBeGreaterThan(14);
    expect(verdict(12, c).confidence).toBeCloseTo(0.95, 6);
  });
});

describe('maps', () => {
  test('blur keeps the mass and spreads a peak symmetrically', () => {
    const data = new Float32Array(81);
    data[40] = 1;
    const b = gaussianBlur({ width: 9, height: 9, data }, 1);
    expect(b.data.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    expect(b.data[39]).toBeCloseTo(b.data[41], 6);
    expect(b.data[40]).toBeLessThan(1);
  });

  test('bilinear resize maps cell centres to pixel centres', () => {
    const r = resizeBilinear({ width: 2, height: 1, data: Float32Array.from([0, 1]) }, 4, 1);
    expect([...r.data]).toEqual([0, 0.25, 0.75, 1]);
  });
});

describe('nearest neighbours and coreset', () => {
  test('ORT distances match a brute-force search, and excluded rows are skipped', async () => {
    const rng = seededRng(11);
    const dims = 8;
    const bank = Float32Array.from({ length: 50 * dims }, () => rng());
    const n = 20;
    const queries = Float32Array.from({ length: dims * n }, () => rng()); // [dims, n]
    const index = await NearestNeighbourIndex.create(bank, dims);
    try {
      const got = await index.distances(queries, n);
      const exclude = new Float32Array(50);
      exclude.fill(1e12, 0, 25);
      const partial = await index.distances(queries, n, exclude);
      for (let q = 0; q < n; q++) {
        const d = (r: number) => Math.sqrt(Array.from({ length: dims }, (_, k) => (queries[k * n + q] - bank[r * dims + k]) ** 2).reduce((a, b) => a + b));
        const all = Array.from({ length: 50 }, (_, r) => d(r));
        expect(got[q]).toBeCloseTo(Math.min(...all), 4);
        expect(partial[q]).toBeCloseTo(Math.min(...all.slice(25)), 4);
      }
    } finally {
      await index.release();
    }
  });

  test('the greedy coreset covers every cluster, where a small random sample would not', async () => {
    // 1000 points in one tight cluster and 5 far-away outliers, which must all be kept.
    const rng = seededRng(5);
    const dims = 4;
    const rows = new Float32Array(1005 * dims);
    for (let i = 0; i < 1000 * dims; i++) rows[i] = rng() * 0.01;
    for (let j = 0; j < 5; j++) rows.fill(10 + j * 10, (1000 + j) * dims, (1001 + j) * dims);
    const chosen = [...(await greedyCoreset(rows, dims, 10, seededRng(1)))];
    expect(chosen).toHaveLength(10);
    expect(new Set(chosen).size).toBe(10);
    for (let j = 0; j < 5; j++) expect(chosen).toContain(1000 + j);
  });
});

/** The textbook k-center loop, one pick at a time, on rows already projected. */
function textbookGreedy(rows: Float32Array, dims: number, k: number, first: number): number[] {
  const n = rows.length / dims;
  const minDist = new Float64Array(n).fill(Infinity);
  const out = [first];
  let current = first;
  while (out.length < k) {
    let best = -1;
    for (let i = 0; i < n; i++) {
      let d = 0;
      for (let j = 0; j < dims; j++) d += (rows[i * dims + j] - rows[current * dims + j]) ** 2;
      if (d < minDist[i]) minDist[i] = d;
      if (best < 0 || minDist[i] > minDist[best]) best = i;
    }
    out.push((current = best));
  }
  return out;
}

function coveringRadius(rows: Float32Array, dims: number, chosen: number[]): number {
  let worst = 0;
  for (let i = 0; i < rows.length / dims; i++) {
    let nearest = Infinity;
    for (const c of chosen) {
      let d = 0;
      for (let j = 0; j < dims; j++) d += (rows[i * dims + j] - rows[c * dims + j]) ** 2;
      nearest = Math.min(nearest, d);
    }
    worst = Math.max(worst, nearest);
  }
  return Math.sqrt(worst);
}

describe('batched greedy coreset', () => {
  test('picks what the one-at-a-time loop picks, across many batches', async () => {
    // Few enough dimensions that no projection happens, so both see the same distances; enough
    // rows and picks that the selection runs through many candidate batches.
    const rng = seededRng(11);
    const dims = 8;
    const n = 3000;
    const rows = new Float32Array(n * dims);
    for (let i = 0; i < n; i++) for (let j = 0; j < dims; j++) rows[i * dims + j] = (i % 7) * 3 + rng() * 2;
    const k = 700;
    const chosen = [...(await greedyCoreset(rows, dims, k, seededRng(2), 32))];
    expect(chosen).toHaveLength(k);
    expect(new Set(chosen).size).toBe(k);
    const reference = textbookGreedy(rows, dims, k, chosen[0]);
    // ORT computes |x|^2 - 2x.c + |c|^2 in float32 where the loop subtracts in float64, so near
    // ties may swap places; the set and the radius it covers the rows with must not move.
    const inReference = new Set(reference);
    expect(chosen.filter((c) => inReference.has(c)).length / k).toBeGreaterThan(0.98);
    expect(coveringRadius(rows, dims, chosen)).toBeLessThanOrEqual(coveringRadius(rows, dims, reference) * 1.01);
  });

  test('fills up with duplicates when k exceeds the distinct rows, without looping forever', async () => {
    const rows = new Float32Array(200 * 4); // 200 identical rows
    const chosen = await greedyCoreset(rows, 4, 50, seededRng(1), 32);
    expect(new Set(chosen).size).toBe(50);
  });
});

describe('segmentation', () => {
  test('marks exactly the pixels whose resampled score reaches the pixel threshold', async () => {
    const rng = seededRng(9);
    const grid = { width: 12, height: 9, data: Float32Array.from({ length: 108 }, () => rng()) };
    grid.data[4 * 12 + 7] = 3; // one hot cell
    grid.data[1 * 12 + 1] = 2.5; // and another, far from it
    const features = { data: new Float32Array(108 * 2), channels: 2, width: 12, height: 9 };
    const image = { width: 130, height: 100 };
    const roi = { left: 10, top: 5, width: 100, height: 80 };
    const classes = [{ name: 'dent', color: '#FF0000' }];
    const s = await segment(grid, features, image, roi, { classes, prototypes: new Float32Array(2), pixelThreshold: 1.5 });
    const { data, info } = await sharp(s.mask.png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([130, 100]);
    const expected = pixelMap(grid, roi);
    let marked = 0;
    for (let y = 0; y < 100; y++)
      for (let x = 0; x < 130; x++) {
        const inRoi = x >= 10 && x < 110 && y >= 5 && y < 85;
        const want = inRoi && expected.data[(y - 5) * 100 + (x - 10)] >= 1.5;
        const o = (y * 130 + x) * info.channels;
        const red = data[o] === 255 && data[o + 1] === 0 && data[o + 2] === 0;
        expect(red).toBe(want);
        if (want) marked++;
      }
    expect(marked).toBeGreaterThan(0);
    expect(s.anomalies[1]).toEqual({ name: 'dent', color: '#FF0000', totalPercentageArea: marked / (130 * 100) });

    const none = await segment({ ...grid, data: new Float32Array(108) }, features, image, roi, {
      classes,
      prototypes: new Float32Array(2),
      pixelThreshold: 1.5,
    });
    expect(none.anomalies).toEqual([{ name: 'background', color: '#FFFFFF', totalPercentageArea: 1 }]);
  });
});
