import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../../main/services/limit';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('createLimiter', () => {
  it('runs at most `concurrency` tasks at once, in arrival order, and passes results and errors through', async () => {
    const limit = createLimiter(2);
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    const results = gates.map((g, i) =>
      limit(async () => {
        started.push(i);
        await g.promise;
        if (i === 3) throw new Error('task 3 failed');
        return i * 10;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect([limit.active, limit.pending]).toEqual([2, 3]);
    gates[1].resolve();
    await results[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    expect(limit.active).toBe(2);
    for (const g of gates) g.resolve();
    const settled = await Promise.allSettled(results);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([0, 10, 20, 'task 3 failed', 40]);
    expect([limit.active, limit.pending]).toEqual([0, 0]);
  });

  it('turns a task that throws synchronously into a rejection', async () => {
    const limit = createLimiter(1);
    await expect(
      limit(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(await limit(async () => 'next')).toBe('next');
  });
});
