/**
 * `npm run bench`: the gateway's request path against a baseline, in one run.
 *
 * (a) cached `detectAnomalies` on a ~100 KiB PNG through the full gateway (Express, upload
 *     parsing, Apollo, Redis cache hit, signed mask URLs in the response);
 * (b) plain node:http + busboy that reads and hashes the same multipart body;
 * (c) for reference, the least an Apollo Server upload mutation does on node:http (hash only);
 * (d) for reference, the same cached detection through the Lookout for Vision protocol
 *     (DetectAnomalies, raw image body, SigV4 verified on every request).
 * Rounds alternate a, b, a, b, ... so machine noise hits both alike; figures are medians over
 * rounds and the ratio a/b is what the target is about (>= 0.6). Then RSS growth of the gateway
 * process under 100 concurrent 4 MiB uploads (target <= 300 MB).
 *
 * Needs Redis on REDIS_URL (default redis://127.0.0.1:6379) and a build (`npm run bench` does it).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { startServer } from './start-server';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 10;
const BOUNDARY = '----lookoutbench7d1f';
const QUERY =
  'mutation($f: Upload!){ detectAnomalies(input:{image:$f, projectName:"demo"}){ id isAnomalous confidence cached anomalies{ name pixelAnomaly{ totalPercentageArea } } anomalyMask{ url } } }';

/** The floor's schema has only these fields: the same request, minus anomalies and mask URL. */
const FLOOR_QUERY = 'mutation($f: Upload!){ detectAnomalies(input:{image:$f, projectName:"demo"}){ id isAnomalous confidence cached } }';

function multipartBody(file: Buffer, query = QUERY): Buffer {
  const part = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  return Buffer.concat([
    Buffer.from(part('operations', JSON.stringify({ query, variables: { f: null } })) + part('map', JSON.stringify({ '0': ['variables.f'] }))),
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="bench.png"\r\nContent-Type: image/png\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

async function noisePng(side: number): Promise<Buffer> {
  return sharp({ create: { width: side, height: side, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 50 } } })
    .png({ compressionLevel: 1 })
    .toBuffer();
}

/** The credential production requires of every GraphQL call (the gateway is started with it). */
const API_KEY = randomBytes(24).toString('hex');
const MULTIPART_HEADERS = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'apollo-require-preflight': 'true', 'x-api-key': API_KEY };
// The baseline and the floor check no credential; they get the same request, key included.

async function run(
  url: string,
  body: Buffer,
  check: (body: string) => boolean,
  headers: Record<string, string> = MULTIPART_HEADERS,
): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  let bad = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: SECONDS,
    headers,
    body,
    setupClient: (client) => client.on('body', (b: Buffer) => (check(b.toString()) ? undefined : bad++)),
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx + bad };
}

async function signedHeaders(key: { accessKeyId: string; secretAccessKey: string }, port: number, path: string, body: Buffer): Promise<Record<string, string>> {
  const signer = new SignatureV4({ credentials: key, region: 'us-east-1', service: 'lookoutvision', sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    path,
    query: {},
    headers: { host: `127.0.0.1:${port}`, 'content-type': 'image/png' },
    body,
  });
  return signed.headers as Record<string, string>;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

function rssMb(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((s) => Number(/VmRSS:\s+(\d+)/.exec(s)![1]) / 1024);
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-gw-'));
  const key = { accessKeyId: 'AKIABENCH00000000001', secretAccessKey: randomBytes(24).toString('hex') };
  const env = {
    LFV_ACCESS_KEYS: `${key.accessKeyId}:${key.secretAccessKey}`,
    DATA_DIR: dataDir,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    CACHE_KEY_PREFIX: `bench-${randomBytes(4).toString('hex')}:`,
    MAX_UPLOAD_BYTES: String(8 * 1024 * 1024),
    // What production requires (the start-up refuses without a base URL; GraphQL without a credential).
    PUBLIC_BASE_URL: 'http://bench.example',
    API_KEYS: `bench:${API_KEY}:detect:*+read:*`,
  };
  // NODE_ENV=production as deployed (the Dockerfile sets it): graphql-js skips its development checks.
  const gw = await startServer(join(__dirname, 'servers', 'gateway-server.js'), { ...env, NODE_ENV: 'production' });
  const base = await startServer(join(__dirname, 'servers', 'busboy-baseline.js'), { NODE_ENV: 'production' });
  const floor = await startServer(join(__dirname, 'servers', 'apollo-floor.js'), { NODE_ENV: 'production' });
  try {
    const png = await noisePng(184);
    const body = multipartBody(png);
    const floorBody = multipartBody(png, FLOOR_QUERY);
    const gwUrl = `http://127.0.0.1:${gw.port}/graphql`;
    const baseUrl = `http://127.0.0.1:${base.port}/`;
    const floorUrl = `http://127.0.0.1:${floor.port}/graphql`;
    // Prime the cache so every measured request is a hit, and check the answer once.
    const first = await fetch(gwUrl, {
      method: 'POST',
      body: new Uint8Array(body),
      headers: MULTIPART_HEADERS,
    });
    const primed = (await first.json()) as { data?: { detectAnomalies?: { id: string } } };
    if (!primed.data?.detectAnomalies?.id) throw new Error(`priming failed: ${JSON.stringify(primed)}`);
    console.log(`image: ${png.length} bytes PNG; multipart body ${body.length} bytes; ${ROUNDS} rounds x ${SECONDS} s per variant, ${CONNECTIONS} connections`);
    // A short warm-up of each, not counted.
    await run(gwUrl, body, () => true);
    await run(baseUrl, body, () => true);
    await run(floorUrl, floorBody, () => true);
    const a: Awaited<ReturnType<typeof run>>[] = [];
    const b: Awaited<ReturnType<typeof run>>[] = [];
    const c: Awaited<ReturnType<typeof run>>[] = [];
    const d: Awaited<ReturnType<typeof run>>[] = [];
    // One signed request, replayed: a SigV4 signature stays valid for 15 minutes, and the
    // gateway still verifies it (hash of the body, HMAC chain) on every request.
    const lfvPath = '/2020-11-20/projects/demo/models/1/detect';
    const lfvUrl = `http://127.0.0.1:${gw.port}${lfvPath}`;
    const lfvHeaders = await signedHeaders(key, gw.port, lfvPath, png);
    const primedLfv = await fetch(lfvUrl, { method: 'POST', headers: lfvHeaders, body: new Uint8Array(png) });
    if (primedLfv.status !== 200) throw new Error(`DetectAnomalies failed: ${primedLfv.status} ${await primedLfv.text()}`);
    await run(lfvUrl, png, () => true, lfvHeaders);
    for (let i = 0; i < ROUNDS; i++) {
      a.push(await run(gwUrl, body, (t) => t.includes('"cached":true')));
      b.push(await run(baseUrl, body, (t) => t.includes('sha256')));
      c.push(await run(floorUrl, floorBody, (t) => t.includes('"cached":true')));
      d.push(await run(lfvUrl, png, (t) => t.includes('DetectAnomalyResult'), lfvHeaders));
      console.log(
        `round ${i + 1}: gateway ${a[i].rps.toFixed(0)} req/s, baseline ${b[i].rps.toFixed(0)} req/s, Apollo floor ${c[i].rps.toFixed(0)} req/s, protocol ${d[i].rps.toFixed(0)} req/s, ratio a/b ${(a[i].rps / b[i].rps).toFixed(2)}`,
      );
    }
    const ratio = median(a.map((x, i) => x.rps / b[i].rps));
    console.log('\nvariant                          req/s   p50 ms  p99 ms  errors');
    const row = (name: string, r: typeof a) =>
      console.log(
        `${name.padEnd(32)} ${median(r.map((x) => x.rps))
          .toFixed(0)
          .padStart(
            5,
          )}   ${String(median(r.map((x) => x.p50))).padStart(6)}  ${String(median(r.map((x) => x.p99))).padStart(6)}  ${r.reduce((s, x) => s + x.errors, 0)}`,
      );
    row('(a) gateway, cached detection', a);
    row('(b) node:http + busboy + sha256', b);
    row('(c) Apollo upload floor, hash only', c);
    row('(d) protocol DetectAnomalies, SigV4', d);
    console.log(
      `ratio (a)/(b), median of rounds: ${ratio.toFixed(2)} (target >= 0.6); (c)/(b): ${median(c.map((x, i) => x.rps / b[i].rps)).toFixed(2)}; (a)/(c): ${median(a.map((x, i) => x.rps / c[i].rps)).toFixed(2)}; (d)/(b): ${median(d.map((x, i) => x.rps / b[i].rps)).toFixed(2)}`,
    );

    // RSS growth under 100 concurrent 4 MiB uploads (the same image: after the first, cache hits;
    // every upload is still read, bounded and hashed in full).
    const big = await noisePng(1180);
    const bigBody = multipartBody(big);
    const before = await rssMb(gw.child.pid!);
    let peak = before;
    const poll = setInterval(() => rssMb(gw.child.pid!).then((m) => (peak = Math.max(peak, m))), 20);
    const statuses = await Promise.all(
      Array.from({ length: 100 }, () =>
        fetch(gwUrl, {
          method: 'POST',
          body: new Uint8Array(bigBody),
          headers: MULTIPART_HEADERS,
        }).then((r) => r.status),
      ),
    );
    clearInterval(poll);
    const ok = statuses.filter((s) => s === 200).length;
    console.log(
      `\n100 concurrent uploads of ${(big.length / 1048576).toFixed(2)} MiB: ${ok} x 200; RSS ${before.toFixed(0)} MB -> peak ${peak.toFixed(0)} MB, growth ${(peak - before).toFixed(0)} MB (target <= 300 MB)`,
    );
  } finally {
    gw.child.kill('SIGTERM');
    base.child.kill('SIGTERM');
    floor.child.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
