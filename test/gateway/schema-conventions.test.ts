import { randomBytes } from 'node:crypto';
import { png, textureRgb, defectFor } from '../helpers/images';
import { copyOfDataDir, dataDirWithDemoModel, detect, multipart, postMultipart, startGateway, type Running } from './helpers';

/**
 * The schema's conventions, as a front-end meets them: mutations take `input` (the positional
 * arguments still work, deprecated), reads answer null for what is missing, and growing lists
 * page as Relay connections: recent detections (memory and Redis), model versions, dataset entries.
 */

let data: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  data = await dataDirWithDemoModel();
}, 60_000);

afterAll(() => data?.cleanup());

async function gql(url: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as any;
}

const RECENT = `query($first: Int, $after: String) {
  project(name: "demo") {
    recentDetections(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { cursor detectedAt node { id isAnomalous } }
    }
  }
}`;

describe.each([
  ['in memory', {}],
  ['in Redis', { REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' }],
] as [string, Record<string, string>][])('recent detections %s', (_name, env) => {
  let copy: { path: string; cleanup: () => Promise<void> };
  let gw: Running;
  beforeAll(async () => {
    copy = await copyOfDataDir(data.path);
    gw = await startGateway(copy.path, { ...env, CACHE_KEY_PREFIX: `test-${randomBytes(4).toString('hex')}:` });
  });
  afterAll(async () => {
    await gw?.stop();
    await copy?.cleanup();
  });

  test('page newest first to the end; a cached repeat is not a new entry', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await detect(gw.url, await png(textureRgb(6100 + i, i % 2 ? [defectFor(i)] : [])))).body.data.detectAnomalies.id);
      await new Promise((r) => setTimeout(r, 5)); // distinct milliseconds, so the order is certain
    }
    await detect(gw.url, await png(textureRgb(6100, [])));
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const r: any = (await gql(gw.url, RECENT, { first: 2, after })).data.project.recentDetections;
      expect(r.totalCount).toBe(5);
      expect(r.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...r.edges.map((e: any) => e.node.id));
      pages++;
      if (!r.pageInfo.hasNextPage) break;
      after = r.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });
});

describe('one gateway', () => {
  let gw: Running;
  beforeAll(async () => {
    gw = await startGateway(data.path);
  });
  afterAll(() => gw?.stop());

  test('reads answer null for what is missing; mutations fail with the code for it', async () => {
    const r = await gql(gw.url, '{ project(name: "nope") { name } model(projectName: "nope") { version } detection(id: "x") { id } }');
    expect(r).toEqual({ data: { project: null, model: null, detection: null } });
    const m = await gql(gw.url, 'mutation { startModel(input: { projectName: "nope", version: "1" }) { status } }');
    expect(m.errors[0].extensions.code).toBe('PROJECT_NOT_FOUND');
  });

  test('mutations take `input`; the deprecated positional arguments still work; both at once is refused', async () => {
    const created = await gql(gw.url, 'mutation { createProject(input: { name: "styles" }) { name } }');
    expect(created.data.createProject.name).toBe('styles');
    expect((await gql(gw.url, 'mutation { deleteProject(name: "styles") }')).data.deleteProject).toBe('styles');
    const both = await gql(gw.url, 'mutation { createProject(input: { name: "a" }, name: "b") { name } }');
    expect(both.errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    const neither = await gql(gw.url, 'mutation { stopModel { status } }');
    expect(neither.errors[0].message).toMatch(/needs `input: \{ projectName, version \}`/);
    const point = await gql(
      gw.url,
      'mutation { setModelSensitivity(input: { projectName: "demo", version: "1", sensitivity: 0.5 }) { operatingPoint { sensitivity } } }',
    );
    expect(point.data.setModelSensitivity.operatingPoint.sensitivity).toBe(0.5);
  });

  test('model versions and dataset entries page as connections, with a label filter', async () => {
    const models = await gql(
      gw.url,
      '{ project(name: "demo") { modelConnection(first: 5) { totalCount pageInfo { hasNextPage } edges { node { version status } } } } }',
    );
    expect(models.data.project.modelConnection).toEqual({
      totalCount: 1,
      pageInfo: { hasNextPage: false },
      edges: [{ node: { version: '1', status: 'HOSTED' } }],
    });

    await gql(gw.url, 'mutation { createProject(input: { name: "paged" }) { name } }');
    const normals = await Promise.all([1, 2, 3].map((i) => png(textureRgb(6200 + i))));
    const anomalies = await Promise.all([1, 2].map((i) => png(textureRgb(6300 + i, [defectFor(i)]))));
    const CREATE = `mutation($n: [Upload!], $a: [Upload!]) { createDataset(input: { projectName: "paged", normalImages: $n, anomalyImages: $a }) { status } }`;
    const files = [...normals.map((bytes, i) => ({ path: `variables.n.${i}`, bytes })), ...anomalies.map((bytes, i) => ({ path: `variables.a.${i}`, bytes }))];
    const made = await postMultipart(gw.url, multipart(CREATE, { n: [null, null, null], a: [null, null] }, files));
    expect(made.body.data.createDataset.status).toBe('CREATE_COMPLETE');
    const ENTRIES = `query($after: String, $label: ImageLabel) { project(name: "paged") { datasets { entries(first: 2, after: $after, label: $label) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { sourceRef label createdAt manifestLine } } } } } }`;
    const first = (await gql(gw.url, ENTRIES)).data.project.datasets[0].entries;
    expect(first.totalCount).toBe(5);
    expect(first.edges.map((e: any) => e.node.label)).toEqual(['NORMAL', 'NORMAL']);
    expect(JSON.parse(first.edges[0].node.manifestLine)['source-ref']).toBe(first.edges[0].node.sourceRef);
    const rest = (await gql(gw.url, ENTRIES, { after: first.pageInfo.endCursor })).data.project.datasets[0].entries;
    expect(rest.edges.map((e: any) => e.node.label)).toEqual(['NORMAL', 'ANOMALY']);
    const flagged = (await gql(gw.url, ENTRIES, { label: 'ANOMALY' })).data.project.datasets[0].entries;
    expect(flagged.totalCount).toBe(2);
    // A cursor of all entries is not one of the anomalies.
    const mixed = await gql(gw.url, ENTRIES, { label: 'ANOMALY', after: first.pageInfo.endCursor });
    expect(mixed.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});
