import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { ensureDemoModel } from '../../src/engine/demo/demo-model';
import { createGateway, type Gateway } from '../../src/server';
import { createServices } from '../../src/services';

/**
 * A gateway on a real socket (port 0) with its own data folder holding the demo model, which is
 * trained once per data folder. Everything it opens is closed by `stop`.
 */
export async function dataDirWithDemoModel(): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'lookout-gw-'));
  await ensureDemoModel(path);
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** A second data folder with the same contents: one gateway process owns a folder. */
export async function copyOfDataDir(path: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const copy = await mkdtemp(join(tmpdir(), 'lookout-gw-'));
  await cp(path, copy, { recursive: true, filter: (src) => !/gateway\.(lock|owner\.json)$/.test(src) });
  return { path: copy, cleanup: () => rm(copy, { recursive: true, force: true }) };
}

export interface Running {
  gateway: Gateway;
  url: string;
  stop(): Promise<void>;
}

export async function startGateway(dataDir: string, env: Record<string, string> = {}): Promise<Running> {
  const config = loadConfig({ DATA_DIR: dataDir, DEMO_MODEL: 'false', LOG_LEVEL: 'silent', HOST: '127.0.0.1', ...env });
  const gateway = await createGateway(await createServices(config, pino({ level: 'silent' })));
  const port = await gateway.listen(0, '127.0.0.1');
  return { gateway, url: `http://127.0.0.1:${port}`, stop: () => gateway.stop() };
}

export const DETECT = `mutation Detect($image: Upload!, $project: String!, $version: String) {
  detectAnomalies(input: { image: $image, projectName: $project, modelVersion: $version }) {
    id imageSha256 isAnomalous confidence cached source { type }
    model { projectName version status type }
    anomalies { name pixelAnomaly { totalPercentageArea color } mask { url width height } }
    anomalyMask { url expiresAt width height contentType }
  }
}`;

/** A GraphQL multipart request (the spec's operations / map / files), as browsers send it. */
export function multipart(query: string, variables: Record<string, unknown>, files: { path: string; bytes: Buffer; type?: string; name?: string }[]): FormData {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables }));
  form.append('map', JSON.stringify(Object.fromEntries(files.map((f, i) => [String(i), [f.path]]))));
  files.forEach((f, i) => form.append(String(i), new Blob([new Uint8Array(f.bytes)], { type: f.type ?? 'image/png' }), f.name ?? `image-${i}.png`));
  return form;
}

export async function postMultipart(url: string, form: FormData, headers: Record<string, string> = { 'apollo-require-preflight': 'true' }) {
  const res = await fetch(`${url}/graphql`, { method: 'POST', body: form, headers });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

export function detect(url: string, bytes: Buffer, opts: { project?: string; version?: string; type?: string; headers?: Record<string, string> } = {}) {
  return postMultipart(
    url,
    multipart(DETECT, { image: null, project: opts.project ?? 'demo', version: opts.version }, [{ path: 'variables.image', bytes, type: opts.type }]),
    opts.headers,
  );
}

/** `npm start`'s process (the build, dist/main.js) on a free port; resolves once it listens. */
export async function spawnGateway(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'dist', 'main.js')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DEMO_MODEL: 'false', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /"port":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`gateway exited early: ${out}`)));
    // The port is read from the info-level "ready" line; say so rather than hang.
    setTimeout(() => reject(new Error(`gateway did not report its port in 30 s (LOG_LEVEL must be info or lower): ${out}`)), 30_000).unref();
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => out };
}
