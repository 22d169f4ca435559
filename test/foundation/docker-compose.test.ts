import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The scale-out deployment as shipped: two gateway replicas behind nginx on PostgreSQL, MinIO
 * and Redis, each with a healthcheck, each started only once what it needs is healthy. Where
 * Docker Compose is installed, `config` validates the file as Compose itself reads it.
 */

const root = join(__dirname, '..', '..');
type Service = {
  deploy?: { replicas?: number };
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
};
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const { services } = compose;

test('two replicas share PostgreSQL, S3-compatible storage and Redis, behind a load balancer', () => {
  expect(Object.keys(services).sort()).toEqual(['gateway', 'lb', 'minio', 'minio-bucket', 'postgres', 'redis']);
  const gw = services.gateway;
  expect(gw.deploy?.replicas).toBe(2);
  expect(gw.environment?.DATABASE_URL).toMatch(/^postgres:\/\/lookout:\$\{POSTGRES_PASSWORD\}@postgres:5432\/lookout$/);
  expect(gw.environment?.ARTIFACTS_URL).toMatch(/^s3:\/\/lookout-models\//);
  expect(gw.environment?.S3_ENDPOINT).toBe('http://minio:9000');
  expect(gw.environment?.REDIS_URL).toBe('redis://redis:6379');
  // Replicas must verify each other's mask URLs: a shared key, required rather than defaulted.
  expect(gw.environment?.MASK_URL_KEYS).toMatch(/^\$\{MASK_URL_KEYS:\?/);
  // No volume: a replica holds nothing the others need.
  expect(gw.volumes).toBeUndefined();
  expect(readFileSync(join(root, 'deploy', 'nginx.conf'), 'utf8')).toMatch(/server gateway:4000/);
});

test('every service checks its health, and each starts after what it needs is healthy', () => {
  for (const [name, s] of Object.entries(services)) if (name !== 'minio-bucket') expect([name, s.healthcheck?.test.length]).toEqual([name, expect.any(Number)]);
  expect(services.gateway.depends_on).toEqual({
    postgres: { condition: 'service_healthy' },
    redis: { condition: 'service_healthy' },
    'minio-bucket': { condition: 'service_completed_successfully' },
  });
  expect(services.lb.depends_on).toEqual({ gateway: { condition: 'service_healthy' } });
  expect(services['minio-bucket'].depends_on).toEqual({ minio: { condition: 'service_healthy' } });
});

/** `docker compose` (v2) or `docker-compose` (v1), whichever is installed. */
function composeCommand(): string[] | null {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    const r = spawnSync(cmd[0], [...cmd.slice(1), 'version'], { encoding: 'utf8' });
    if (r.status === 0) return cmd;
  }
  return null;
}

const command = composeCommand();
(command ? test : test.skip)('Docker Compose reads the file without complaint', () => {
  const env = { ...process.env, MASK_URL_KEYS: 'k1:' + 'x'.repeat(40), POSTGRES_PASSWORD: 'p', MINIO_ROOT_PASSWORD: 'minio-password' };
  const r = spawnSync(command![0], [...command!.slice(1), '-f', join(root, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8', env });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
