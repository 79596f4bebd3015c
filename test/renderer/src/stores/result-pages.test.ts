import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ResultSummary } from '../../../../app/types';
import { alignResults, Batch, ResultAlignment } from '../../../../renderer/src/stores/result-pages';

const result = (id: string, name: string): ResultSummary => ({ id, status: 'done', stale: false, multiLabel: false, scores: [[name, 0.9]] });

describe('alignResults', () => {
  it('lines the results up with the entries, undefined where an entry has none', () => {
    const byId = new Map([
      ['b', result('b', 'red')],
      ['x', result('x', 'blue')],
    ]);
    expect(alignResults(['a', 'b'], byId)).toEqual([undefined, result('b', 'red')]);
    expect(alignResults([], byId)).toEqual([]);
  });
});

describe('ResultAlignment', () => {
  it('gives what a full re-line gives while the listing grows, results arrive or change, and the map is replaced', () => {
    let seed = 3;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const alignment = new ResultAlignment();
    let entries: string[] = [];
    let byId = new Map<string, ResultSummary>();
    const indexOf = (id: string) => entries.indexOf(id);
    let previous: Array<ResultSummary | undefined> = [];
    for (let step = 0; step < 300; step++) {
      const r = rnd();
      if (r < 0.35) {
        // The scan appends to the same array.
        const more = Math.floor(rnd() * 12);
        for (let k = 0; k < more; k++) entries.push(`img${entries.length}`);
      } else if (r < 0.75) {
        // Results for listed ids, ids not listed yet, and replacements of earlier ones.
        const ids = Array.from({ length: Math.floor(rnd() * 6) }, () => `img${Math.floor(rnd() * (entries.length + 10))}`);
        for (const id of ids) byId.set(id, result(id, rnd() < 0.5 ? 'red' : 'blue'));
        alignment.changed(ids);
      } else if (r < 0.85) {
        // Another folder: a new listing.
        entries = [];
      } else if (r < 0.92) {
        byId = new Map();
        alignment.reset();
      }
      const before = previous.slice();
      const aligned = alignment.align(entries, byId, indexOf);
      expect(aligned, `step ${step}`).toEqual(alignResults(entries, byId));
      // A view built from the last alignment is not changed under it.
      expect(previous).toEqual(before);
      previous = aligned;
    }
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
