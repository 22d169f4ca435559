import { filterEntries, imageStats, mergeEntries, parseLines } from '../../src/projects/datasets';
import { Buckets } from '../../src/projects/locations';

/** Dataset entries and bucket keys, in process. */

describe('dataset entries', () => {
  const line = (ref: string, cls: string) => JSON.stringify({ 'source-ref': ref, 'anomaly-label-metadata': { 'class-name': cls } });

  test('parse, relabel by source-ref keeping the creation time, count and filter', () => {
    const first = parseLines([line('s3://b/1.png', 'normal'), line('s3://b/2.png', 'anomaly'), line('s3://b/3.png', 'other')].join('\n'), null, 100);
    expect(imageStats(first)).toEqual({ total: 3, labeled: 2, normal: 1, anomaly: 1 });
    const merged = mergeEntries(first, parseLines([line('s3://b/3.png', 'anomaly'), line('s3://b/4.png', 'normal')].join('\r\n'), null, 200));
    expect(merged.map((e) => [JSON.parse(e.line)['source-ref'], e.createdAt])).toEqual([
      ['s3://b/1.png', 100],
      ['s3://b/2.png', 100],
      ['s3://b/3.png', 100],
      ['s3://b/4.png', 200],
    ]);
    expect(imageStats(merged)).toEqual({ total: 4, labeled: 4, normal: 2, anomaly: 2 });
    expect(filterEntries(merged, { anomalyClass: 'anomaly' })).toHaveLength(2);
    expect(filterEntries(merged, { createdAfter: 150 })).toHaveLength(1);
    expect(filterEntries(merged, { createdBefore: 150, sourceRefContains: '2.png' })).toHaveLength(1);
    expect(filterEntries(first, { labeled: false })).toHaveLength(1);
  });

  test.each([
    ['not JSON', '{"source-ref": ', /Line 1 is not valid JSON/],
    ['no source-ref', '{"a": 1}', /Line 1 has no source-ref/],
    ['an array', '[1]', /not a JSON object/],
    ['a line over 8192 characters', JSON.stringify({ 'source-ref': 'x'.repeat(9000) }), /longer than 8192/],
  ])('%s is DATASET_INVALID', (_what, text, message) => {
    expect(() => parseLines(text, null, 0)).toThrow(message);
  });
});

test('bucket keys cannot climb out of their folder', () => {
  const b = new Buckets({ mine: '/srv/mine' }, '/data');
  expect(b.path('mine', 'a/b.png')).toBe('/srv/mine/a/b.png');
  expect(b.path('other', 'x.json')).toBe('/data/s3/other/x.json');
  expect(() => b.path('mine', '../../etc/passwd')).toThrow(/leaves bucket/);
});
