import { gaussianBlur, maxOf } from '../../src/engine/scoring/anomaly-map';
import { LOCAL_CONTRAST, scoreDistances, topMean } from '../../src/engine/scoring/image-score';
import { seededRng } from '../../src/engine/random';

/**
 * The image score: what a new capture session does to a distance map (lifts all of it, or a
 * broad region of it) must move the local-contrast score far less than a compact defect does,
 * while the max of the blurred map (format 1) follows both.
 */

const W = 40;
const H = 30;

function noiseMap(seed: number): Float32Array {
  const rng = seededRng(seed);
  return Float32Array.from({ length: W * H }, () => 2 + rng() * 0.4);
}

const withSpot = (base: Float32Array, cx: number, cy: number, r: number, add: number) =>
  base.map((v, i) => v + add * Math.exp(-(((i % W) - cx) ** 2 + (Math.floor(i / W) - cy) ** 2) / (2 * r * r)));

const score = (data: Float32Array, kind: 'max' | 'local-contrast') =>
  scoreDistances({ width: W, height: H, data }, 1, kind === 'max' ? { kind: 'max' } : LOCAL_CONTRAST).score;

test('a uniform lift of the whole map leaves the local-contrast score where it was', () => {
  const base = noiseMap(1);
  const lifted = base.map((v) => v + 1.5);
  expect(score(lifted, 'local-contrast')).toBeCloseTo(score(base, 'local-contrast'), 4);
  expect(score(lifted, 'max')).toBeCloseTo(score(base, 'max') + 1.5, 4);
});

test('a compact peak outscores a broad raised region of the same height', () => {
  const base = noiseMap(2);
  const defect = withSpot(base, 20, 15, 1.2, 2);
  const broad = withSpot(base, 20, 15, 12, 2); // a glare or lighting change: wide and smooth
  expect(score(defect, 'local-contrast')).toBeGreaterThan(score(base, 'local-contrast') + 0.5);
  const gain = (m: Float32Array) => score(m, 'local-contrast') - score(base, 'local-contrast');
  expect(gain(defect)).toBeGreaterThan(1.8 * gain(broad));
  // The max ranks them the other way round: blurring flattens the narrow peak more.
  expect(score(broad, 'max')).toBeGreaterThan(score(defect, 'max'));
});

test('the map clients see is the blurred distances, whatever the method', () => {
  const data = withSpot(noiseMap(3), 5, 5, 1, 3);
  const { map } = scoreDistances({ width: W, height: H, data }, 1, LOCAL_CONTRAST);
  expect(Array.from(map.data)).toEqual(Array.from(gaussianBlur({ width: W, height: H, data }, 1).data));
});

test('topMean averages the largest share, at least one value', () => {
  const rng = seededRng(4);
  const values = Float32Array.from({ length: 1000 }, () => rng());
  const sorted = Array.from(values).sort((a, b) => b - a);
  expect(topMean(values, 0.01)).toBeCloseTo(sorted.slice(0, 10).reduce((a, b) => a + b) / 10, 5);
  expect(topMean(values, 0.0001)).toBe(maxOf(values));
});
