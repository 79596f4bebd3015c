import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ImageEntry, ResultSummary } from '../../../../app/types';
import { alignResults, Batch } from '../../../../renderer/src/stores/result-pages';

const entry = (id: string): ImageEntry => ({ id, name: id, size: 1, mtimeMs: 0 });
const result = (id: string, name: string): ResultSummary => ({ id, status: 'done', stale: false, multiLabel: false, scores: [[name, 0.9]] });

describe('alignResults', () => {
  it('lines the results up with the entries, undefined where an entry has none', () => {
    const byId = new Map([
      ['b', result('b', 'red')],
      ['x', result('x', 'blue')],
    ]);
    expect(alignResults([entry('a'), entry('b')], byId)).toEqual([undefined, result('b', 'red')]);
    expect(alignResults([], byId)).toEqual([]);
  });
});

describe('Batch', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands the items over together once the delay after the first has passed', () => {
    vi.useFakeTimers();
    const applied: number[][] = [];
    const batch = new Batch<number>((items) => applied.push(items), 150);
    batch.push(1);
    batch.push(2);
    expect(applied).toEqual([]);
    vi.advanceTimersByTime(150);
    expect(applied).toEqual([[1, 2]]);
    batch.push(3);
    vi.advanceTimersByTime(150);
    expect(applied).toEqual([[1, 2], [3]]);
  });

  it('flushes at once, only when something waits, and clear drops what waits', () => {
    vi.useFakeTimers();
    const applied: number[][] = [];
    const batch = new Batch<number>((items) => applied.push(items));
    batch.flush();
    expect(applied).toEqual([]);
    batch.push(1);
    batch.flush();
    expect(applied).toEqual([[1]]);
    vi.advanceTimersByTime(1000);
    expect(applied).toEqual([[1]]);
    batch.push(2);
    batch.clear();
    vi.advanceTimersByTime(1000);
    expect(applied).toEqual([[1]]);
  });
});
