/**
 * `npm run bench` (second part): a cached detection's latency through a router, against the same
 * detection sent straight to the subgraph, in one run.
 *
 * (a) multipart straight to the gateway (the subgraph);
 * (b) multipart through Hive Gateway (multipart forwarding on);
 * (c) out of band through Hive Gateway: createImageUpload through the router, the PUT straight to
 *     the gateway, detectAnomalies(uploadId) through the router. All three requests are counted.
 * One request at a time (latency, not throughput), rounds interleaved a, b, c, a, b, c, ... so
 * machine noise hits all three alike. Targets: (b) <= 1.5x (a), (c) <= 3x (a), at the median.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import sharp from 'sharp';
import { startServer } from './start-server';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PER_ROUND = Number(process.env.BENCH_ROUTER_REQUESTS ?? 150);
const API_KEY = randomBytes(24).toString('hex');
const SELECTION = 'id isAnomalous confidence cached anomalies { name pixelAnomaly { totalPercentageArea } } anomalyMask { url }';

function multipart(image: Buffer): FormData {
  const form = new FormData();
  form.append(
    'operations',
    JSON.stringify({ query: `mutation($f: Upload!) { detectAnomalies(input: { image: $f, projectName: "demo" }) { ${SELECTION} } }`, variables: { f: null } }),
  );
  form.append('map', JSON.stringify({ 0: ['variables.f'] }));
  form.append('0', new Blob([new Uint8Array(image)], { type: 'image/png' }), 'bench.png');
  return form;
}

async function post(url: string, body: FormData | string): Promise<any> {
  const headers: Record<string, string> = { 'x-api-key': API_KEY, 'apollo-require-preflight': 'true' };
  if (typeof body === 'string') headers['content-type'] = 'application/json';
  const res = await fetch(url, { method: 'POST', headers, body });
  const json = (await res.json()) as { errors?: unknown[]; data?: any };
  if (json.errors) throw new Error(JSON.stringify(json.errors).slice(0, 300));
  return json.data;
}

const quantile = (v: number[], q: number) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(v.length * q))];

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-routers-'));
  const gw = await startServer(join(__dirname, 'servers', 'gateway-server.js'), {
    DATA_DIR: dataDir,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    CACHE_KEY_PREFIX: `bench-${randomBytes(4).toString('hex')}:`,
    PUBLIC_BASE_URL: 'http://bench.example',
    // The router composes with the `router` scope; the front-end detects with detect/read.
    API_KEYS: `bench:${API_KEY}:detect:*+read:*+router`,
  });
  const direct = `http://127.0.0.1:${gw.port}`;
  // The supergraph, composed as a CI step would (rover / mesh compose), from the subgraph's SDL.
  const { supergraphSdl, cleanup } = await new IntrospectAndCompose({
    subgraphs: [{ name: 'lookout', url: `${direct}/graphql` }],
    introspectionHeaders: { 'x-api-key': API_KEY },
  }).initialize({ update: () => undefined, healthCheck: async () => undefined, getDataSource: ({ url }) => new RemoteGraphQLDataSource({ url }) });
  await cleanup?.();
  const supergraphFile = join(dataDir, 'supergraph.graphql');
  await writeFile(supergraphFile, supergraphSdl);
  const hive = await startServer(join(__dirname, 'servers', 'hive-router.js'), { SUPERGRAPH_FILE: supergraphFile, NODE_ENV: 'production' });
  const router = `http://127.0.0.1:${hive.port}/graphql`;
  try {
    const image = await sharp({ create: { width: 184, height: 184, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 50 } } })
      .png({ compressionLevel: 1 })
      .toBuffer();
    const trivial = JSON.stringify({ query: '{ projects { name } }' });
    const modes: Record<'a' | 'b' | 'c' | 'd' | 'e', () => Promise<void>> = {
      a: async () => {
        await post(`${direct}/graphql`, multipart(image));
      },
      b: async () => {
        await post(router, multipart(image));
      },
      c: async () => {
        const created = await post(
          router,
          JSON.stringify({
            query: 'mutation($i: CreateImageUploadInput!) { createImageUpload(input: $i) { uploadId uploadUrl contentType } }',
            variables: { i: { projectName: 'demo', contentType: 'image/png', byteLength: image.length } },
          }),
        );
        const { uploadId, uploadUrl, contentType } = created.createImageUpload;
        // PUBLIC_BASE_URL names the load balancer in front of the gateway; here the gateway is it.
        const target = new URL(uploadUrl);
        const put = await fetch(`${direct}${target.pathname}${target.search}`, {
          method: 'PUT',
          headers: { 'content-type': contentType },
          body: new Uint8Array(image),
        });
        if (put.status !== 200) throw new Error(`PUT answered ${put.status}`);
        await post(
          router,
          JSON.stringify({
            query: `mutation($id: ID!) { detectAnomalies(input: { uploadId: $id, projectName: "demo" }) { ${SELECTION} } }`,
            variables: { id: uploadId },
          }),
        );
      },
      // The router's own floor: the smallest JSON query, straight and through it.
      d: async () => {
        await post(`${direct}/graphql`, trivial);
      },
      e: async () => {
        await post(router, trivial);
      },
    };
    // Prime the cache and every connection; check each mode answers.
    for (const m of Object.values(modes)) for (let i = 0; i < 20; i++) await m();
    const times: Record<string, number[]> = { a: [], b: [], c: [], d: [], e: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of ['a', 'b', 'c', 'd', 'e'] as const) {
        for (let i = 0; i < PER_ROUND; i++) {
          const t = performance.now();
          await modes[name]();
          times[name].push(performance.now() - t);
        }
      }
    }
    const p50 = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, quantile(v, 0.5)]));
    const p90 = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, quantile(v, 0.9)]));
    const line = (k: string, what: string) => `  (${k}) ${what.padEnd(52)} p50 ${p50[k].toFixed(2)} ms   p90 ${p90[k].toFixed(2)} ms`;
    console.log(`\nCached detection latency through a router (${ROUNDS} rounds x ${PER_ROUND} requests each, one at a time):`);
    console.log(line('a', 'multipart straight to the subgraph'));
    console.log(line('b', 'multipart through Hive Gateway'));
    console.log(line('c', 'out of band through Hive Gateway (3 requests)'));
    console.log('  for reference, what the router itself adds to the smallest query:');
    console.log(line('d', '{ projects { name } } straight to the subgraph'));
    console.log(line('e', '{ projects { name } } through Hive Gateway'));
    const b = p50.b / p50.a;
    const c = p50.c / p50.a;
    console.log(`  (b)/(a) = ${b.toFixed(2)}x (target <= 1.5x) ${b <= 1.5 ? 'MET' : 'MISSED'}`);
    console.log(`  (c)/(a) = ${c.toFixed(2)}x (target <= 3x) ${c <= 3 ? 'MET' : 'MISSED'}`);
  } finally {
    hive.child.kill('SIGTERM');
    gw.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
