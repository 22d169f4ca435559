import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

/**
 * A small Lookout for Vision endpoint for tests: real HTTP speaking the service's restJson1
 * protocol (paths under /2020-11-20, raw image bodies, errors as `x-amzn-ErrorType` with the bare
 * exception name plus a JSON body with `__type`, `Message` and the modelled fields), so the real
 * AWS SDK client runs against it unmocked.
 *
 * Projects: `factory` (1 HOSTED segmentation, 2 TRAINED), `sorting` (1 HOSTED classification),
 * and projects whose every DetectAnomalies call fails: `throttled` (429, Retry-After 3),
 * `denied` (403), `broken` (500), `slow` (never answers in time).
 */

interface PeerModel {
  status: string;
  segmentation: boolean;
}

const PROJECTS: Record<string, Record<string, PeerModel>> = {
  factory: { '1': { status: 'HOSTED', segmentation: true }, '2': { status: 'TRAINED', segmentation: true } },
  sorting: { '1': { status: 'HOSTED', segmentation: false } },
  throttled: { '1': { status: 'HOSTED', segmentation: false } },
  denied: { '1': { status: 'HOSTED', segmentation: false } },
  broken: { '1': { status: 'HOSTED', segmentation: false } },
  slow: { '1': { status: 'HOSTED', segmentation: false } },
};

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
}

export interface LookoutVisionPeer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': `req-${Math.random().toString(16).slice(2)}`, ...headers });
  res.end(JSON.stringify(body));
}

function fail(
  res: http.ServerResponse,
  status: number,
  name: string,
  message: string,
  fields: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  send(res, status, { __type: name, Message: message, ...fields }, { 'x-amzn-errortype': name, ...headers });
}

const latest = (p: string) => Object.keys(PROJECTS[p]).sort((a, b) => Number(b) - Number(a))[0];

function modelMetadata(project: string, version: string) {
  const m = PROJECTS[project][version];
  return {
    ModelVersion: version,
    ModelArn: `arn:aws:lookoutvision:us-east-1:123456789012:model/${project}/${version}`,
    CreationTimestamp: 1_700_000_000 + Number(version),
    Status: m.status,
    Performance: { F1Score: 0.9, Precision: 0.95, Recall: 0.85 },
  };
}

async function detectResult(model: PeerModel, image: Buffer) {
  if (!model.segmentation) return { DetectAnomalyResult: { Source: { Type: 'direct' }, IsAnomalous: false, Confidence: 0.8 } };
  const meta = await sharp(image).metadata();
  const w = meta.width!;
  const h = meta.height!;
  // The left quarter is "scratch", the rest background: the shares below match the mask.
  const raw = Buffer.alloc(w * h * 3, 255);
  const left = Math.floor(w / 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < left; x++) raw.set([0x2c, 0xa0, 0x2c], (y * w + x) * 3);
  const mask = await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
  const share = left / w;
  return {
    DetectAnomalyResult: {
      Source: { Type: 'direct' },
      IsAnomalous: true,
      Confidence: 0.93,
      Anomalies: [
        { Name: 'background', PixelAnomaly: { TotalPercentageArea: 1 - share, Color: '#FFFFFF' } },
        { Name: 'scratch', PixelAnomaly: { TotalPercentageArea: share, Color: '#2ca02c' } },
      ],
      AnomalyMask: mask.toString('base64'),
    },
  };
}

export async function startLookoutVisionPeer(): Promise<LookoutVisionPeer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://peer');
    requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, bodyBytes: body.length });
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== '2020-11-20' || parts[1] !== 'projects')
      return fail(res, 404, 'ResourceNotFoundException', 'Unknown operation', { ResourceId: url.pathname, ResourceType: 'PROJECT' });
    const [, , project, models, version, action] = parts;

    if (req.method === 'GET' && parts.length === 2) {
      // ListProjects, one per page, to make the client paginate.
      const names = Object.keys(PROJECTS).sort();
      const start = Number(url.searchParams.get('nextToken') ?? 0);
      const page = names.slice(start, start + 1).map((ProjectName) => ({
        ProjectName,
        ProjectArn: `arn:aws:lookoutvision:us-east-1:123456789012:project/${ProjectName}`,
        CreationTimestamp: 1_700_000_000,
      }));
      return send(res, 200, { Projects: page, ...(start + 1 < names.length ? { NextToken: String(start + 1) } : {}) });
    }
    if (!PROJECTS[project])
      return fail(res, 404, 'ResourceNotFoundException', `Project ${project} not found`, { ResourceId: project, ResourceType: 'PROJECT' });
    if (models !== 'models') return fail(res, 404, 'ResourceNotFoundException', 'Unknown operation', { ResourceId: project, ResourceType: 'PROJECT' });

    if (req.method === 'GET' && !version) {
      const versions = Object.keys(PROJECTS[project]).sort();
      const start = Number(url.searchParams.get('nextToken') ?? 0);
      return send(res, 200, {
        Models: versions.slice(start, start + 1).map((v) => modelMetadata(project, v)),
        ...(start + 1 < versions.length ? { NextToken: String(start + 1) } : {}),
      });
    }
    const concrete = version === 'latest' ? latest(project) : version;
    const model = PROJECTS[project][concrete];
    if (!model)
      return fail(res, 404, 'ResourceNotFoundException', `Model ${project}/${version} not found`, {
        ResourceId: `${project}/${version}`,
        ResourceType: 'MODEL',
      });
    if (req.method === 'GET' && !action) return send(res, 200, { ModelDescription: modelMetadata(project, concrete) });

    if (req.method === 'POST' && action === 'detect') {
      if (project === 'throttled')
        return fail(res, 429, 'ThrottlingException', 'Rate exceeded', { QuotaCode: 'L-1', ServiceCode: 'lookoutvision' }, { 'retry-after': '3' });
      if (project === 'denied') return fail(res, 403, 'AccessDeniedException', 'Not allowed');
      if (project === 'broken') return fail(res, 500, 'InternalServerException', 'Something broke');
      if (project === 'slow') return; // never answers: the client's request timeout must fire
      const type = req.headers['content-type'];
      if (type !== 'image/png' && type !== 'image/jpeg')
        return fail(res, 400, 'ValidationException', 'content-type must be one of the following. image/jpeg, image/png');
      if (model.status !== 'HOSTED')
        return fail(res, 409, 'ConflictException', `Model ${project}/${concrete} is not hosted`, {
          ResourceId: `${project}/${concrete}`,
          ResourceType: 'MODEL',
        });
      return send(res, 200, await detectResult(model, body));
    }
    return fail(res, 400, 'ValidationException', 'Unsupported operation');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
