import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Client } from 'pg';
import { migrate } from 'postgres-migrations';

/**
 * The schema is versioned in the repo (`migrations/<n>_<what>.sql`) and brought up to date at
 * start by postgres-migrations: each file once, in order, in a transaction, under an advisory lock
 * (replicas starting together wait for one another), and an edited applied file is refused.
 */
export async function migrateSchema(client: Client, log: (line: string) => void = () => {}): Promise<string[]> {
  const applied = await migrate({ client }, migrationsDir(), { logger: () => {} });
  for (const m of applied) log(`applied database migration ${m.fileName}`);
  return applied.map((m) => m.fileName);
}

/** The repo's migrations folder, found above this file whether it runs from src/, dist/ or dist-bench/src/. */
function migrationsDir(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'migrations')) && existsSync(join(dir, 'package.json'))) return join(dir, 'migrations');
  }
  throw new Error('the migrations folder is missing from this installation');
}
