import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { defectFor, png, textureRgb } from '../helpers/images';
import { dataDirWithDemoModel, detect, multipart, type Running, startGateway } from '../gateway/helpers';
import { startInspectionsSubgraph } from './inspections-subgraph';

/**
 * A front-end behind a real router, with lookout-gateway as one subgraph and another team's as a
 * second: the image goes out of band (only JSON crosses the router), the detection and the
 * inspection that records it are one supergraph, and entity references are fetched in batches.
 * Both routers are started as their READMEs configure them (see the README's "Behind a router").
 */

interface Router {
  url: string;
  stop(): Promise<void>;
}

/** Headers a front-end sends that the subgraph needs: its credential and, for multipart, the CSRF preflight. */
const FORWARDED = ['authorization', 'x-api-key', 'apollo-require-preflight'];

async function hiveGateway(subgraphs: { name: string; url: string }[]): Promise<Router> {
  const gateway = createGatewayRuntime({
    supergraph: { type: 'dev', services: subgraphs },
    multipart: true,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => Object.fromEntries(FORWARDED.flatMap((h) => (request.headers.get(h) ? [[h, request.headers.get(h)!]] : []))),
    },
    logging: false,
  });
  const server = http.createServer(gateway);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    async stop() {
      await gateway.dispose();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function apolloGateway(subgraphs: { name: string; url: string }[]): Promise<Router> {
  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({ subgraphs }),
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<{ headers?: Record<string, string | undefined> }>({
        url,
        willSendRequest({ request, context }) {
          for (const h of FORWARDED) if (context.headers?.[h]) request.http?.headers.set(h, context.headers[h]!);
        },
      }),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ headers: req.headers as Record<string, string> }),
  });
  return { url: `${url.replace(/\/$/, '')}/`, stop: () => server.stop() };
}

async function viaRouter(router: Router, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(router.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return { status: res.status, body: (await res.json()) as any };
}

let data: { path: string; cleanup: () => Promise<void> };
let lookout: Running;
let inspections: Awaited<ReturnType<typeof startInspectionsSubgraph>>;
let lookoutRequests = 0;

beforeAll(async () => {
  data = await dataDirWithDemoModel();
  lookout = await startGateway(data.path);
  lookout.gateway.httpServer.on('request', (req: http.IncomingMessage) => {
    if (req.url?.startsWith('/graphql')) lookoutRequests++;
  });
  // Two inspections from an earlier shift, pointing at results the subgraph holds.
  const earlier = await Promise.all(
    [1, 2].map(async (seed) => (await detect(lookout.url, await png(textureRgb(500 + seed, [])))).body.data.detectAnomalies.id),
  );
  inspections = await startInspectionsSubgraph({
    'LOT-1': { line: 'oven 1', detectionId: earlier[0] },
    'LOT-2': { line: 'oven 1', detectionId: earlier[1] },
  });
}, 60_000);

afterAll(async () => {
  await inspections?.stop();
  await lookout?.stop();
  await data?.cleanup();
});

describe.each([
  ['Hive Gateway', hiveGateway],
  ['@apollo/gateway', apolloGateway],
] as const)('through %s', (name, start) => {
  let router: Router;
  beforeAll(async () => {
    router = await start([
      { name: 'lookout', url: `${lookout.url}/graphql` },
      { name: 'inspections', url: inspections.url },
    ]);
  }, 60_000);
  afterAll(() => router?.stop());

  test('a front-end detects an image uploaded out of band and records it in the other subgraph', async () => {
    const image = await png(textureRgb(name.length * 31, [defectFor(5)]));
    const created = await viaRouter(
      router,
      `mutation($input: CreateImageUploadInput!) { createImageUpload(input: $input) { uploadId uploadUrl contentType } }`,
      { input: { projectName: 'demo', contentType: 'image/png', byteLength: image.length } },
    );
    expect(created.body.errors).toBeUndefined();
    const { uploadId, uploadUrl, contentType } = created.body.data.createImageUpload;
    expect((await fetch(uploadUrl, { method: 'PUT', headers: { 'content-type': contentType }, body: new Uint8Array(image) })).status).toBe(200);

    const detected = await viaRouter(
      router,
      `mutation($id: ID!) { detectAnomalies(input: { uploadId: $id, projectName: "demo" }) {
        id isAnomalous confidence anomalies { name } anomalyMask { url } model { version type performance { f1Score } }
      } }`,
      { id: uploadId },
    );
    expect(detected.body.errors).toBeUndefined();
    const result = detected.body.data.detectAnomalies;
    expect(result).toMatchObject({ isAnomalous: true, model: { version: '1', type: 'SEGMENTATION' } });
    expect((await fetch(result.anomalyMask.url)).status).toBe(200);

    const recorded = await viaRouter(
      router,
      `mutation($id: ID!, $lot: ID!) { recordInspection(id: $lot, line: "oven 2", detectionId: $id, projectName: "demo", version: "1") {
        line detection { isAnomalous confidence } approvedModel { status type }
      } }`,
      { id: result.id, lot: `LOT-${name}` },
    );
    expect(recorded.body.errors).toBeUndefined();
    expect(recorded.body.data.recordInspection).toEqual({
      line: 'oven 2',
      detection: { isAnomalous: true, confidence: result.confidence },
      approvedModel: { status: 'HOSTED', type: 'SEGMENTATION' },
    });
  });

  test("one query over every inspection resolves the gateway's entities in one batched fetch", async () => {
    const before = lookoutRequests;
    const res = await viaRouter(router, `{ inspections { id line detection { id isAnomalous cached } approvedModel { version status } } }`);
    expect(res.body.errors).toBeUndefined();
    const list = res.body.data.inspections;
    expect(list.length).toBeGreaterThanOrEqual(3);
    for (const i of list) expect(i).toMatchObject({ detection: { cached: true }, approvedModel: { version: '1', status: 'HOSTED' } });
    // 2 x (3 or more) entity references, and at most one `_entities` request per entity type
    // (Hive Gateway sends both types in one request, Apollo's planner one request per type).
    expect(lookoutRequests - before).toBeGreaterThanOrEqual(1);
    expect(lookoutRequests - before).toBeLessThanOrEqual(2);
  });
});

test('Hive Gateway forwards a multipart detection when it propagates the CSRF preflight header', async () => {
  const router = await hiveGateway([
    { name: 'lookout', url: `${lookout.url}/graphql` },
    { name: 'inspections', url: inspections.url },
  ]);
  try {
    const image = await png(textureRgb(77, [defectFor(2)]));
    const query = `mutation($image: Upload!) { detectAnomalies(input: { image: $image, projectName: "demo" }) { isAnomalous imageSha256 } }`;
    const res = await fetch(router.url, {
      method: 'POST',
      headers: { 'apollo-require-preflight': 'true' },
      body: multipart(query, { image: null }, [{ path: 'variables.image', bytes: image }]),
    });
    const body = (await res.json()) as any;
    expect(body.errors).toBeUndefined();
    expect(body.data.detectAnomalies.isAnomalous).toBe(true);
  } finally {
    await router.stop();
  }
});
