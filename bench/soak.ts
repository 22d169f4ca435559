/**
 * `npm run soak` (not in CI): the gateway as deployed (dist/main.js, production, Redis) under
 * mixed traffic for SOAK_SECONDS (default 120), while things go wrong on purpose:
 * - cached traffic (a few images over and over) and uncached traffic (a new image each time);
 * - slow clients trickling uploads a byte at a time, a few at any moment;
 * - Redis killed a third of the way in and restarted at two thirds.
 * It reports detection p50/p99 and failures per phase, /healthz p50/p99 (sampled every 250 ms),
 * and the gateway's RSS at start, peak and end. Needs redis-server on PATH (Debian's `redis-server`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 8);
const SLOW_CLIENTS = Number(process.env.SOAK_SLOW_CLIENTS ?? 4);
const KEY = `soak-${randomBytes(16).toString('hex')}`;
const BOUNDARY = '----soak';
const QUERY = 'mutation($f: Upload!){ detectAnomalies(input:{image:$f, projectName:"demo"}){ id isAnomalous cached anomalyMask{ url } } }';

type Phase = 'redis up' | 'redis down' | 'redis back';

function body(image: Buffer): Buffer {
  const part = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  return Buffer.concat([
    Buffer.from(part('operations', JSON.stringify({ query: QUERY, variables: { f: null } })) + part('map', '{"0":["variables.f"]}')),
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="s.png"\r\nContent-Type: image/png\r\n\r\n`),
    image,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

const noise = (seed: number) =>
  sharp({ create: { width: 256, height: 256, channels: 3, background: { r: seed % 255, g: 90, b: 60 }, noise: { type: 'gaussian', mean: 120, sigma: 30 } } })
    .png()
    .toBuffer();

function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

function startRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
}

async function startGateway(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(__dirname, '..', 'src', 'main.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /"port":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`the gateway exited with ${code}: ${out}`)));
  });
  child.stdout!.resume();
  return { child, url: `http://127.0.0.1:${port}` };
}

/** A client that sends its upload a byte every 200 ms until the gateway drops it. */
function slowClient(url: string, image: Buffer, stop: () => boolean): Promise<void> {
  const { port } = new URL(url);
  const payload = body(image);
  return new Promise((resolve) => {
    const s = connect(Number(port), '127.0.0.1', () => {
      s.write(
        `POST /graphql HTTP/1.1\r\nHost: x\r\nx-api-key: ${KEY}\r\napollo-require-preflight: true\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${payload.length}\r\n\r\n`,
      );
      let at = 0;
      const timer = setInterval(() => {
        if (stop() || s.destroyed || at >= payload.length) {
          clearInterval(timer);
          s.destroy();
          return;
        }
        s.write(payload.subarray(at, ++at));
      }, 200);
    });
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lookout-soak-'));
  const redisPort = 20000 + Math.floor(Math.random() * 20000);
  let redis = startRedis(redisPort);
  await new Promise((r) => setTimeout(r, 300));
  const { child, url } = await startGateway({
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: join(dir, 'data'),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    PUBLIC_BASE_URL: 'http://soak.example',
    API_KEYS: `soak:${KEY}:detect:*+read:*`,
    LOG_LEVEL: 'info',
  });
  const hot = await Promise.all([1, 2, 3, 4].map((i) => noise(i)));
  let seed = 1000;
  let phase: Phase = 'redis up';
  const latencies: Record<Phase, number[]> = { 'redis up': [], 'redis down': [], 'redis back': [] };
  const failures: Record<Phase, Record<string, number>> = { 'redis up': {}, 'redis down': {}, 'redis back': {} };
  const health: number[] = [];
  const rss = { start: await rssMb(child.pid!), peak: 0, end: 0 };
  const deadline = Date.now() + SECONDS * 1000;
  const done = () => Date.now() > deadline;

  const worker = async () => {
    while (!done()) {
      // Three in four cached (one of a few images), one in four new.
      const image = Math.random() < 0.75 ? hot[Math.floor(Math.random() * hot.length)] : await noise(seed++);
      const t = performance.now();
      const at = phase;
      try {
        const res = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'apollo-require-preflight': 'true', 'x-api-key': KEY },
          body: new Uint8Array(body(image)),
        });
        const json = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
        if (res.status !== 200 || json.errors) {
          const code = json.errors?.[0]?.extensions?.code ?? String(res.status);
          failures[at][code] = (failures[at][code] ?? 0) + 1;
        } else latencies[at].push(performance.now() - t);
      } catch (err) {
        failures[at][(err as Error).message] = (failures[at][(err as Error).message] ?? 0) + 1;
      }
    }
  };
  const slow = async () => {
    while (!done()) await slowClient(url, hot[0], done);
  };
  const probes = setInterval(async () => {
    const t = performance.now();
    await fetch(`${url}/healthz`).catch(() => undefined);
    health.push(performance.now() - t);
    rss.peak = Math.max(rss.peak, await rssMb(child.pid!).catch(() => 0));
  }, 250);
  const chaos = (async () => {
    await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 3));
    redis.kill('SIGKILL');
    phase = 'redis down';
    await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 3));
    redis = startRedis(redisPort);
    phase = 'redis back';
  })();

  await Promise.all([...Array.from({ length: CONCURRENCY }, worker), ...Array.from({ length: SLOW_CLIENTS }, slow), chaos]);
  clearInterval(probes);
  rss.end = await rssMb(child.pid!);
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  redis.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });

  console.log(`\nSoak: ${SECONDS} s, ${CONCURRENCY} workers (3/4 cached images, 1/4 new), ${SLOW_CLIENTS} slow clients, Redis killed at 1/3 and back at 2/3`);
  console.log('phase          detections  p50 ms   p99 ms   failures');
  for (const p of Object.keys(latencies) as Phase[]) {
    const l = latencies[p];
    console.log(
      `${p.padEnd(14)} ${String(l.length).padStart(10)}  ${quantile(l, 0.5).toFixed(1).padStart(6)}  ${quantile(l, 0.99).toFixed(1).padStart(7)}   ${JSON.stringify(failures[p])}`,
    );
  }
  console.log(
    `/healthz       ${String(health.length).padStart(10)}  ${quantile(health, 0.5).toFixed(1).padStart(6)}  ${quantile(health, 0.99).toFixed(1).padStart(7)}`,
  );
  console.log(`RSS MB         start ${rss.start.toFixed(0)}, peak ${rss.peak.toFixed(0)}, end ${rss.end.toFixed(0)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
