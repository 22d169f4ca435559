import { decodeCursor, encodeCursor, pageOf } from '../../src/graphql/connections';

/** Paging a list held whole: cursors are opaque, bound to their list, and pick up where they left off. */

const items = ['9', '7', '4', '2', '1'];
const page = (args: { first?: number; after?: string | null }) =>
  pageOf(
    items,
    'model',
    args,
    (v) => v,
    (after) => {
      const i = items.findIndex((v) => Number(v) < Number(after));
      return i === -1 ? items.length : i;
    },
  );

test('pages follow each other to the end, with Relay page info', () => {
  const one = page({ first: 2 });
  expect(one.edges.map((e) => e.node)).toEqual(['9', '7']);
  expect(one.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  expect(one.totalCount).toBe(5);
  const two = page({ first: 2, after: one.pageInfo.endCursor });
  expect(two.edges.map((e) => e.node)).toEqual(['4', '2']);
  expect(two.pageInfo.hasPreviousPage).toBe(true);
  const three = page({ first: 2, after: two.pageInfo.endCursor });
  expect(three.edges.map((e) => e.node)).toEqual(['1']);
  expect(three.pageInfo).toMatchObject({ hasNextPage: false, endCursor: three.edges[0].cursor });
});

test('a cursor whose item is gone still finds its place', () => {
  // "5" was handed out, then deleted: the next page starts below it.
  expect(page({ first: 2, after: encodeCursor('model', '5') }).edges.map((e) => e.node)).toEqual(['4', '2']);
});

test('cursors of another list, malformed ones and oversized pages are refused with BAD_USER_INPUT', () => {
  expect(() => page({ after: encodeCursor('entry-all', '3') })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  expect(() => decodeCursor('model', 'not a cursor')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  expect(() => page({ first: 101 })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  expect(() => page({ first: -1 })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  expect(page({ first: 0 }).edges).toEqual([]);
});
