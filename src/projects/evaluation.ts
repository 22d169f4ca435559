import type { ModelHeader } from '../engine/model/model-header';
import { writeJsonAtomic } from './json-file';
import type { Buckets } from './locations';
import type { S3Object } from './records';

/**
 * Lookout for Vision wrote a model's evaluation to the OutputConfig bucket and named the object
 * in DescribeModel's EvaluationResult. The gateway writes the test-set figures its engine
 * measured to the same place: the bucket's folder (mapped, or under the data folder), and on to
 * the S3 endpoint when the bucket lives there.
 */
export async function writeEvaluation(
  buckets: Buckets,
  project: string,
  version: string,
  output: { bucket: string; prefix: string | null },
  header: ModelHeader,
  now = Date.now(),
): Promise<{ result: S3Object; manifest: null; endedAt: number }> {
  const prefix = output.prefix ? output.prefix.replace(/\/?$/, '/') : '';
  const key = `${prefix}${project}/EvaluationResult/EvaluationResult_${project}_${version}.json`;
  const m = header.metrics;
  await writeJsonAtomic(buckets.path(output.bucket, key), {
    Version: 1,
    EvaluationDetails: { EvaluationEndTimestamp: new Date(now).toISOString(), ModelVersion: version, ProjectName: project, TestSource: m.testSource },
    AggregatedEvaluationResults: { Metrics: { F1Score: m.f1, Precision: m.precision, Recall: m.recall, ROCAUC: m.imageAuroc, PixelROCAUC: m.pixelAuroc } },
    TestImages: { Normal: m.testImages.normal, Anomaly: m.testImages.anomaly },
    Training: header.training,
  });
  await buckets.publish(output.bucket, key, 'application/json');
  return { result: { bucket: output.bucket, key }, manifest: null, endedAt: now };
}
