import { AppError } from '../errors';

/**
 * Relay-style connections: opaque cursors (base64url of a kind and a position, so a cursor from
 * one list is refused by another), `first` bounded, and PageInfo as the spec has it.
 */
export const MAX_PAGE = 100;

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
  totalCount: number;
}

export function pageSize(first: number | null | undefined): number {
  const n = first ?? 20;
  if (!Number.isInteger(n) || n < 0 || n > MAX_PAGE) throw new AppError('BAD_USER_INPUT', `first must be between 0 and ${MAX_PAGE}.`, { maxPage: MAX_PAGE });
  return n;
}

export function encodeCursor(kind: string, position: string): string {
  return Buffer.from(`${kind}:${position}`, 'utf8').toString('base64url');
}

/** The position in a cursor of `kind`; null for no cursor. */
export function decodeCursor(kind: string, cursor: string | null | undefined): string | null {
  if (cursor == null) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(`${kind}:`) || cursor.length > 200)
    throw new AppError('BAD_USER_INPUT', 'This cursor does not belong to this list; pass an `endCursor` from the same field.');
  return text.slice(kind.length + 1);
}

/** A page from its edges: the cursors of its ends come from them, the rest from the list's reader. */
export function connection<E extends { cursor: string }>(
  edges: E[],
  more: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor?: string | null },
  totalCount: number,
): { edges: E[]; pageInfo: PageInfo; totalCount: number } {
  return {
    edges,
    pageInfo: {
      hasNextPage: more.hasNextPage,
      hasPreviousPage: more.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: more.endCursor !== undefined ? more.endCursor : (edges.at(-1)?.cursor ?? null),
    },
    totalCount,
  };
}

/**
 * A page of a list held whole: items after the one `isAfter` names (the cursor's position),
 * `first` of them. `positionOf` gives each item its position for its cursor.
 */
export function pageOf<T>(
  items: readonly T[],
  kind: string,
  args: { first?: number | null; after?: string | null },
  positionOf: (item: T, index: number) => string,
  startAfter: (position: string) => number,
): Page<T> {
  const first = pageSize(args.first);
  const after = decodeCursor(kind, args.after);
  const start = after === null ? 0 : startAfter(after);
  const slice = items.slice(start, start + first);
  const edges = slice.map((node, i) => ({ cursor: encodeCursor(kind, positionOf(node, start + i)), node }));
  return connection(edges, { hasNextPage: start + first < items.length, hasPreviousPage: start > 0 }, items.length);
}
