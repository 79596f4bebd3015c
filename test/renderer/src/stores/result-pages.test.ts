import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ResultSummary } from '../../../../app/types';
import { appError } from '../../../../app/errors';
import { Batch, readResultPages } from '../../../../renderer/src/stores/result-pages';
import { decodeResults } from '../../../support/decode-results';
import { fakeApi } from '../../../support/fake-api';

const result = (id: string, name: string): ResultSummary => ({ id, status: 'done', stale: false, multiLabel: false, scores: [[name, 0.9]] });

describe('readResultPages', () => {
  /** A folder's stored results as main would page them: `total()` of them, answered when `release` is called. */
  function storedResults(total: () => number) {
    const api = fakeApi();
    const held: Array<() => void> = [];
    api.handle('resultsPage', ({ offset, limit }) => new Promise((resolve) => {
      held.push(() => {
        const n = total();
        const items = Array.from({ length: Math.max(0, Math.min(limit, n - offset)) }, (_, k) => result(`img${offset + k}`, (offset + k) % 3 ? 'red' : 'blue'));
        resolve({ total: n, items });
      });
    }));
    /** Answers the oldest request still unanswered; false when none waits. */
    const release = async () => {
      await new Promise((r) => setTimeout(r, 0));
      const next = held.shift();
      next?.();
      await new Promise((r) => setTimeout(r, 0));
      return next !== undefined;
    };
    return { api, release, asked: () => api.requests('resultsPage').map((r) => r.offset) };
  }

  it('reads every result once, in order, with the next two pages asked for while one is taken in', async () => {
    const stored = storedResults(() => 180_000);
    const got: string[] = [];
    const askedWhenTaken: number[][] = [];
    const done = readResultPages(stored.api, { folderId: 'f' }, () => false, (page) => {
      askedWhenTaken.push(stored.asked());
      for (const item of decodeResults(page)) got.push(item.id);
    });
    while (await stored.release());
    expect(await done).toBeNull();
    expect(got).toEqual(Array.from({ length: 180_000 }, (_, i) => `img${i}`));
    // The small first page, then pages of 50,000, each asked for once.
    expect(stored.asked()).toEqual([0, 10_000, 60_000, 110_000, 160_000]);
    // Taking in a page, main already has the two after it to read.
    expect(askedWhenTaken[0]).toEqual([0, 10_000, 60_000]);
    expect(askedWhenTaken[1]).toEqual([0, 10_000, 60_000, 110_000]);
  });

  it('stops at a folder with no results, at an empty page (the results shrank), and once the load is stale', async () => {
    const none = storedResults(() => 0);
    const pages: number[] = [];
    const empty = readResultPages(none.api, { folderId: 'f' }, () => false, (page) => pages.push(decodeResults(page).length));
    while (await none.release());
    expect(await empty).toBeNull();
    expect(pages).toEqual([0]);
    expect(none.asked()).toEqual([0]);

    let total = 120_000;
    const shrinking = storedResults(() => total);
    const seen: number[] = [];
    const shrunk = readResultPages(shrinking.api, { folderId: 'f' }, () => false, (page) => {
      seen.push(decodeResults(page).length);
      total = 20_000;
    });
    while (await shrinking.release());
    expect(await shrunk).toBeNull();
    expect(seen).toEqual([10_000, 10_000, 0]);

    const later = storedResults(() => 500_000);
    let stale = false;
    const taken: number[] = [];
    const stopped = readResultPages(later.api, { folderId: 'f' }, () => stale, (page) => {
      taken.push(decodeResults(page).length);
      stale = true;
    });
    while (await later.release());
    expect(await stopped).toBeNull();
    expect(taken).toEqual([10_000]);
    expect(later.asked()).toEqual([0, 10_000, 60_000]);
  });

  it('answers a failed page as the error, after the pages before it were taken in', async () => {
    const api = fakeApi();
    api.handle('resultsPage', ({ offset, limit }) => {
      if (offset >= 60_000) throw appError('unreadable_file', 'The results journal could not be read.');
      return { total: 200_000, items: Array.from({ length: limit }, (_, k) => result(`img${offset + k}`, 'red')) };
    });
    let count = 0;
    const failure = await readResultPages(api, { folderId: 'f' }, () => false, (page) => (count += decodeResults(page).length));
    expect(failure).toMatchObject({ code: 'unreadable_file', message: 'The results journal could not be read.' });
    expect(count).toBe(60_000);
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
