import { seededRng } from '../random';
import { toRows } from '../scoring/anomaly-map';
import { greedyCoreset, takeRows } from '../scoring/coreset';
import type { FeatureMap } from '../features/extractor';

/**
 * The memory bank: every patch of every normal (and of its rotated copies, for parts that lie in
 * any orientation), thinned by the greedy coreset. It remembers which normal each row came from,
 * so that calibration can score a normal against a bank without its own patches.
 */

export interface MemoryBank {
  rows: Float32Array;
  dims: number;
  size: number;
  /** For each bank row, the index of the normal image it came from. */
  owners: Uint32Array;
}

export interface BankOptions {
  coresetRatio: number;
  maxBankRows: number;
  seed: number;
}

/**
 * Rows the greedy coreset chooses from. Its cost is pool x bank rows; above this the pool is
 * thinned evenly first (rotated copies overlap heavily, so little is lost): 65k rows for a 9k
 * bank select in ~3 s on two cores.
 */
export const MAX_POOL_ROWS = 65_536;

/**
 * How much larger a bank with rotated copies (six views per normal) is than one without.
 * bench:engine, rotated aliens / cookies: x1 0.79 / 1.000 AUROC, cookies p50 49 ms; x3 0.90 /
 * 0.997, 56-62 ms; x6 (every copy at the plain density, copies rotated at full size) 0.93-0.95 /
 * 0.983, 73 ms.
 */
export const AUGMENTED_BANK_GROWTH = 3;

/** `views[i]` holds the feature maps of normal i: as photographed first, then its augmentations. */
export async function buildMemoryBank(views: FeatureMap[][], o: BankOptions): Promise<MemoryBank> {
  const first = views[0][0];
  const dims = first.channels;
  const perImage = first.width * first.height;
  const maps = views.flatMap((v, owner) => v.map((f) => ({ owner, f })));
  const total = maps.length * perImage;
  // An augmented bank grows by AUGMENTED_BANK_GROWTH, not by its number of copies: detection
  // time follows the bank's size.
  const plainRows = views.length * perImage;
  const growth = maps.length > views.length ? AUGMENTED_BANK_GROWTH : 1;
  const k = Math.min(total, Math.max(Math.min(1024, total), Math.min(o.maxBankRows, Math.round(plainRows * o.coresetRatio * growth))));
  const poolSize = Math.min(total, Math.max(MAX_POOL_ROWS, 4 * k));
  // An even stride over all rows keeps every image and every region represented.
  const stride = total / poolSize;
  const pool = new Float32Array(poolSize * dims);
  const poolOwners = new Uint32Array(poolSize);
  let mapIndex = -1;
  let rows: Float32Array | null = null;
  for (let r = 0; r < poolSize; r++) {
    const source = Math.floor(r * stride);
    const m = Math.floor(source / perImage);
    if (m !== mapIndex) {
      mapIndex = m;
      rows = toRows(maps[m].f.data, dims, perImage);
    }
    const within = source - m * perImage;
    pool.set(rows!.subarray(within * dims, (within + 1) * dims), r * dims);
    poolOwners[r] = maps[m].owner;
  }
  const chosen = await greedyCoreset(pool, dims, Math.min(k, poolSize), seededRng(o.seed));
  return { rows: takeRows(pool, dims, chosen), dims, size: chosen.length, owners: Uint32Array.from(chosen, (c) => poolOwners[c]) };
}

/** Bank rows at or above which a leave-one-out penalty puts a row out of reach. */
const EXCLUDED = 1e12;

/** The penalty input that hides normal `owner`'s rows from the nearest-neighbour search. */
export function withoutOwner(bank: MemoryBank, owner: number): Float32Array {
  const penalty = new Float32Array(bank.size);
  for (let r = 0; r < bank.size; r++) if (bank.owners[r] === owner) penalty[r] = EXCLUDED;
  return penalty;
}
