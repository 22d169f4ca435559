/** Joins typed arrays end to end (pixel scores and labels of many images, for one AUROC). */
export function concatArrays<T extends Float32Array | Uint8Array>(parts: T[], make: (length: number) => T): T {
  const out = make(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
