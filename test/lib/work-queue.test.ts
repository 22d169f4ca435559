import { WorkQueue } from '../../src/lib/work-queue';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

test('runs one job at a time, in order, and answers QUEUE_FULL past the line', async () => {
  const q = new WorkQueue(1, 2);
  const gate = deferred();
  const order: number[] = [];
  const first = q.run(async () => (await gate.promise, order.push(1)));
  const second = q.run(async () => order.push(2));
  const third = q.run(async () => order.push(3));
  await Promise.resolve();
  expect(q.active).toBe(1);
  expect(q.depth).toBe(2);
  await expect(q.run(async () => 4)).rejects.toMatchObject({ code: 'QUEUE_FULL' });
  gate.resolve();
  await Promise.all([first, second, third]);
  expect(order).toEqual([1, 2, 3]);
  expect(q.depth).toBe(0);
});

test('an aborted request leaves the line without running', async () => {
  const q = new WorkQueue(1, 5);
  const gate = deferred();
  const running = q.run(() => gate.promise);
  const ac = new AbortController();
  let ran = false;
  const waiting = q.run(async () => (ran = true), ac.signal);
  ac.abort();
  await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
  expect(q.depth).toBe(0);
  gate.resolve();
  await running;
  expect(ran).toBe(false);
});

test('a failing job frees its slot', async () => {
  const q = new WorkQueue(1, 5);
  await expect(q.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(await q.run(async () => 'next')).toBe('next');
});
