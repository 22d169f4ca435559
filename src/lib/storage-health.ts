import { AppError } from '../errors';

/**
 * Whether this process's writes are failing for lack of space. A full disk used to surface as an
 * untyped 500 while /readyz still said "ready"; now every write that fails with ENOSPC or EDQUOT
 * becomes STORAGE_FULL and marks storage as failing until a write succeeds again (readiness
 * probes a small write while it is marked, so freeing space is noticed without traffic).
 */

const FULL = new Set(['ENOSPC', 'EDQUOT']);
let failing: { since: number; code: string } | null = null;

export function storageFailure(): { since: number; code: string } | null {
  return failing;
}

/** Records a successful write: storage works again. */
export function storageWorked(): void {
  failing = null;
}

/** The error to throw for a failed write: STORAGE_FULL for a full disk or quota, the original otherwise. */
export function storageError(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (!code || !FULL.has(code)) return err;
  failing ??= { since: Date.now(), code };
  return new AppError(
    'STORAGE_FULL',
    `The gateway cannot write: its storage is full (${code}). Nothing was changed; free space and retry.`,
    {},
    { cause: err },
  );
}
