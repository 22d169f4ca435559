import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateDatasetCommand, DescribeModelCommand, LookoutVisionClient, type ModelStatus } from '@aws-sdk/client-lookoutvision';
import { CRACK, defectFor, maskPng, png, textureRgb } from '../helpers/images';

/** Keys the gateway under test trusts; made up here, never real. */
export const ACCESS_KEY = { accessKeyId: 'AKIAGATEWAYTEST00001', secretAccessKey: 'gateway-test-secret-0123456789abcdef' };
export const LFV_ACCESS_KEYS = `${ACCESS_KEY.accessKeyId}:${ACCESS_KEY.secretAccessKey}`;

export function client(url: string, credentials = ACCESS_KEY, maxAttempts = 1): LookoutVisionClient {
  return new LookoutVisionClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts });
}

/**
 * A Ground Truth segmentation manifest with s3:// references, as Lookout for Vision users have
 * them, written into `bucketDir` (the folder the bucket maps to). Images are made in code.
 */
export async function writeS3Dataset(bucketDir: string, bucket: string, prefix: string, normals: number, anomalies: number): Promise<string> {
  const root = join(bucketDir, prefix);
  await mkdir(join(root, 'images'), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < normals; i++) {
    await writeFile(join(root, 'images', `normal-${i}.png`), await png(textureRgb(100 + i)));
    lines.push(
      JSON.stringify({
        'source-ref': `s3://${bucket}/${prefix}/images/normal-${i}.png`,
        'anomaly-label': 0,
        'anomaly-label-metadata': {
          'class-name': 'normal',
          type: 'groundtruth/image-classification',
          'human-annotated': 'yes',
          'creation-date': '2021-10-12T14:16:45.668',
          'job-name': 'labeling-job/test',
          confidence: 1,
        },
      }),
    );
  }
  for (let i = 0; i < anomalies; i++) {
    const d = defectFor(i);
    await writeFile(join(root, 'images', `anomaly-${i}.png`), await png(textureRgb(500 + i, [d])));
    await writeFile(join(root, 'images', `anomaly-${i}-mask.png`), await maskPng([d], CRACK.color));
    lines.push(
      JSON.stringify({
        'source-ref': `s3://${bucket}/${prefix}/images/anomaly-${i}.png`,
        'anomaly-label': 1,
        'anomaly-label-metadata': { 'class-name': 'anomaly', type: 'groundtruth/image-classification' },
        'anomaly-mask-ref': `s3://${bucket}/${prefix}/images/anomaly-${i}-mask.png`,
        'anomaly-mask-ref-metadata': {
          'internal-color-map': {
            '0': { 'class-name': 'BACKGROUND', 'hex-color': '#ffffff' },
            '1': { 'class-name': CRACK.name, 'hex-color': CRACK.color.toLowerCase() },
          },
          type: 'groundtruth/semantic-segmentation',
        },
      }),
    );
  }
  const key = `${prefix}/train.manifest`;
  await writeFile(join(bucketDir, key), lines.join('\n') + '\n');
  return key;
}

/** CreateDataset of a project's train dataset from a manifest in a bucket (the SDK's reply). */
export function createTrainDataset(c: LookoutVisionClient, project: string, bucket: string, key: string) {
  return c.send(
    new CreateDatasetCommand({
      ProjectName: project,
      DatasetType: 'train',
      DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: bucket, Key: key } } },
    }),
  );
}

/** Polls DescribeModel until the status is one of `want` (or fails on a status not expected). */
export async function waitForStatus(c: LookoutVisionClient, project: string, version: string, want: ModelStatus[], timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = (await c.send(new DescribeModelCommand({ ProjectName: project, ModelVersion: version }))).ModelDescription!;
    if (want.includes(d.Status!)) return d;
    if (Date.now() > deadline) throw new Error(`model ${project}/${version} stayed ${d.Status} (${d.StatusMessage})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `fn` and returns what it threw (failing the test if it did not). */
export async function thrown(fn: () => Promise<unknown>): Promise<any> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

/**
 * A request signed the way the SDKs sign, then sent as is: for bodies and headers no SDK would
 * produce (malformed JSON, wrong types, stale dates, tampering after signing).
 */
export async function signedFetch(
  url: string,
  method: string,
  path: string,
  options: {
    body?: string | Buffer;
    headers?: Record<string, string>;
    query?: Record<string, string>;
    signingDate?: Date;
    credentials?: { accessKeyId: string; secretAccessKey: string };
    tamper?: (body: Buffer) => Buffer;
    afterSigning?: Record<string, string>;
  } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const { SignatureV4 } = await import('@smithy/signature-v4');
  const { Hash } = await import('@smithy/hash-node');
  const u = new URL(url);
  const body = options.body === undefined ? Buffer.alloc(0) : Buffer.from(options.body);
  const signer = new SignatureV4({
    credentials: options.credentials ?? ACCESS_KEY,
    region: 'us-east-1',
    service: 'lookoutvision',
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    {
      method,
      protocol: 'http:',
      hostname: u.hostname,
      port: Number(u.port),
      path,
      query: options.query ?? {},
      headers: { host: u.host, 'content-type': 'application/json', ...options.headers },
      body,
    },
    { signingDate: options.signingDate },
  );
  const qs = new URLSearchParams(options.query ?? {}).toString();
  const sent = options.tamper ? options.tamper(body) : body;
  const res = await fetch(`${url}${path}${qs ? `?${qs}` : ''}`, {
    method,
    headers: { ...(signed.headers as Record<string, string>), ...options.afterSigning },
    body: method === 'GET' ? undefined : new Uint8Array(sent),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}
