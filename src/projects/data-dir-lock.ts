import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { AppError } from '../errors';

/**
 * One gateway process per data folder. Its projects and model lifecycles live in that process's
 * memory, so a second process on the same folder (a replacement started while the old one still
 * drained, or two replicas on one volume) would overwrite the first one's state unseen. The
 * lock is proper-lockfile's: an atomic mkdir whose mtime the holder refreshes every few seconds,
 * so a holder that died (SIGKILL, power loss) is taken over once the lock goes stale. On the
 * same host, a holder whose process is gone is taken over at once: a restart after a crash must
 * not wait out the staleness (an orchestrator restarting a container would see a crash loop).
 */
export interface DataDirLock {
  release(): Promise<void>;
}

const STALE_MS = 10_000;

/** Folders this process holds: a second gateway in one process is refused like one in another. */
const heldHere = new Set<string>();

export async function lockDataDir(dataDir: string, onLost: (err: Error) => void): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  if (heldHere.has(dataDir)) throw busy(join(dataDir, 'gateway.lock'));
  const lockfilePath = join(dataDir, 'gateway.lock');
  const ownerPath = join(dataDir, 'gateway.owner.json');
  const take = () => lockfile.lock(dataDir, { lockfilePath, stale: STALE_MS, update: STALE_MS / 2, realpath: false, onCompromised: onLost });
  let release: () => Promise<void>;
  try {
    release = await take();
  } catch (err) {
    if ((err as { code?: string }).code !== 'ELOCKED') throw err;
    if (!(await ownerIsGone(ownerPath))) throw busy(lockfilePath);
    await rm(lockfilePath, { recursive: true, force: true });
    release = await take();
  }
  await writeFile(ownerPath, JSON.stringify({ pid: process.pid, hostname: hostname() }));
  heldHere.add(dataDir);
  return {
    release: async () => {
      heldHere.delete(dataDir);
      await release().catch(() => undefined);
    },
  };
}

function busy(lockfilePath: string): AppError {
  return new AppError(
    'RESOURCE_CONFLICT',
    `Another gateway process holds DATA_DIR (${lockfilePath}). One process owns a data folder; stop the other one, or give this one its own DATA_DIR.`,
  );
}

/**
 * The recorded holder ran on this host and is no longer running. A holder with this process's
 * own pid is a predecessor (containers restart as pid 1): this process holds nothing yet.
 */
async function ownerIsGone(ownerPath: string): Promise<boolean> {
  let owner: { pid?: unknown; hostname?: unknown };
  try {
    owner = JSON.parse(await readFile(ownerPath, 'utf8'));
  } catch {
    return false;
  }
  if (owner.hostname !== hostname() || typeof owner.pid !== 'number') return false;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as { code?: string }).code === 'ESRCH';
  }
}
