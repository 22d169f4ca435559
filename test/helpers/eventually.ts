/**
 * Reads until `ok` holds or `timeoutMs` passes, and returns the last reading: for state another
 * replica learns of asynchronously. The caller asserts on what it returns, so a timeout fails
 * with the value seen rather than a bare "timed out".
 */
export async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
