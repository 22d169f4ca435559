import { resolveRef, type ManifestOptions } from '../engine/dataset/manifest';
import type { ModelHeader } from '../engine/model/model-header';
import type { TestPrediction } from '../engine/train';
import { writeJsonAtomic, writeFileAtomic } from './atomic-file';
import type { Buckets } from './locations';
import type { DatasetEntryRecord, S3Object } from './records';

/**
 * Lookout for Vision wrote a model's evaluation to the OutputConfig bucket and named the
 * objects in DescribeModel: `EvaluationResult` (the figures) and `EvaluationManifest` (each test
 * image's Ground Truth line plus the model's verdict as `anomaly-label-detected`). The gateway
 * writes both to the same place: the bucket's folder (mapped, or under the data folder), and on
 * to the S3 endpoint when the bucket lives there.
 */
export async function writeEvaluation(
  buckets: Buckets,
  where: { project: string; version: string; output: { bucket: string; prefix: string | null } },
  trained: { header: ModelHeader; testPredictions: TestPrediction[] },
  testEntries: DatasetEntryRecord[],
  manifestOptions: ManifestOptions,
  now = Date.now(),
): Promise<{ result: S3Object; manifest: S3Object; endedAt: number }> {
  const { project, version, output } = where;
  const base = `${output.prefix ? output.prefix.replace(/\/?$/, '/') : ''}${project}/`;
  const resultKey = `${base}EvaluationResult/EvaluationResult_${project}_${version}.json`;
  const manifestKey = `${base}EvaluationManifest/EvaluationManifest_${project}_${version}.manifest`;
  const m = trained.header.metrics;
  await writeJsonAtomic(buckets.path(output.bucket, resultKey), {
    Version: 1,
    EvaluationDetails: { EvaluationEndTimestamp: new Date(now).toISOString(), ModelVersion: version, ProjectName: project, TestSource: m.testSource },
    AggregatedEvaluationResults: { Metrics: { F1Score: m.f1, Precision: m.precision, Recall: m.recall, ROCAUC: m.imageAuroc, PixelROCAUC: m.pixelAuroc } },
    TestImages: { Normal: m.testImages.normal, Anomaly: m.testImages.anomaly },
    Training: trained.header.training,
  });
  await writeFileAtomic(buckets.path(output.bucket, manifestKey), evaluationManifest(trained.testPredictions, testEntries, manifestOptions, now));
  await buckets.publish(output.bucket, resultKey, 'application/json');
  await buckets.publish(output.bucket, manifestKey, 'application/jsonlines');
  return { result: { bucket: output.bucket, key: resultKey }, manifest: { bucket: output.bucket, key: manifestKey }, endedAt: now };
}

/** The test images' own manifest lines (as the client gave them) with the model's verdicts. */
function evaluationManifest(predictions: TestPrediction[], entries: DatasetEntryRecord[], options: ManifestOptions, now: number): string {
  const lineOf = new Map<string, Record<string, unknown>>();
  for (const e of entries) {
    const row = JSON.parse(e.line) as Record<string, unknown>;
    try {
      lineOf.set(resolveRef(String(row['source-ref']), e.base ?? '/', options, 'entry'), row);
    } catch {
      // an entry that no longer resolves was not among the test images
    }
  }
  const created = new Date(now).toISOString();
  return predictions
    .map((p) => {
      const row = lineOf.get(p.image) ?? { 'source-ref': p.image };
      const detected = p.isAnomalous ? 'anomaly' : 'normal';
      return JSON.stringify({
        ...row,
        'anomaly-label-detected': p.isAnomalous ? 1 : 0,
        'anomaly-label-detected-metadata': {
          'class-name': detected,
          confidence: p.confidence,
          'creation-date': created,
          type: 'groundtruth/image-classification',
          'job-name': 'lookout-gateway-evaluation',
        },
      });
    })
    .join('\n')
    .concat(predictions.length ? '\n' : '');
}
