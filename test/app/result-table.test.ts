import { describe, expect, it } from 'vitest';
import { encodeResults, packColumns } from '../../app/result-columns';
import { ResultTable, type Listing } from '../../app/result-table';
import { buildNameIndex, buildPreparedView, defaultFilter, prepareView } from '../../app/view-filter';
import type { ResultSummary } from '../../app/types';

/** A listing as the library keeps one: ids grow in place; a new folder is a new array. */
function listing(ids: string[] = []): Listing & { ids: string[] } {
  return {
    ids,
    indexOf(id: string) {
      return this.ids.indexOf(id);
    },
  };
}

const classes = ['cat', 'dog', 'owl', 'émoji 🐈', 'a,b'];

/** A result such as main stores: single- or multi-label, sometimes failed or stale. */
function summary(id: string, rnd: () => number): ResultSummary {
  if (rnd() < 0.08) return { id, status: 'error', stale: rnd() < 0.3, multiLabel: false, scores: [], error: { code: 'server', message: `Server error for ${id}` } };
  const scores = classes
    .filter(() => rnd() < 0.7)
    .map((name) => [name, Math.round(rnd() * 1e4) / 1e4] as [string, number])
    .sort((a, b) => b[1] - a[1]);
  return { id, status: 'done', stale: rnd() < 0.1, multiLabel: rnd() < 0.3, scores };
}

function random(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** Each listed id's latest result: what the table must give, made the slow, obvious way. */
const expected = (ids: readonly string[], latest: Map<string, ResultSummary>) => ids.map((id) => latest.get(id));

describe('ResultTable', () => {
  it('lines results up with a listing while it grows, results arrive early or are replaced, and the folder changes', () => {
    const rnd = random(7);
    const list = listing();
    let table = new ResultTable(list);
    let latest = new Map<string, ResultSummary>();
    let earlier: { snapshot: ReturnType<ResultTable['snapshot']>; want: Array<ResultSummary | undefined> } | null = null;
    for (let step = 0; step < 400; step++) {
      const r = rnd();
      if (r < 0.3) {
        // The scan appends to the same array.
        const more = Math.floor(rnd() * 15);
        for (let k = 0; k < more; k++) list.ids.push(`img${list.ids.length}`);
      } else if (r < 0.6) {
        // A page: listed ids, ids not listed yet, and replacements of earlier results.
        const items = Array.from({ length: Math.floor(rnd() * 8) }, () => summary(`img${Math.floor(rnd() * (list.ids.length + 10))}`, rnd));
        const page = rnd() < 0.5 ? packColumns(encodeResults(items.length, items)) : JSON.parse(JSON.stringify(encodeResults(items.length, items)));
        table.addPage(page);
        for (const item of items) latest.set(item.id, item);
      } else if (r < 0.8) {
        // A job's result, one at a time.
        const item = summary(`img${Math.floor(rnd() * (list.ids.length + 3))}`, rnd);
        table.set(item);
        latest.set(item.id, item);
      } else if (r < 0.88) {
        // The listing replaced: the same folder listed again, in another order.
        list.ids = [...list.ids].reverse();
      } else if (r < 0.93) {
        // Another folder.
        list.ids = [];
        table = new ResultTable(list);
        latest = new Map();
      } else {
        // Main judged some files changed since (listed or not, with a result or none, twice over).
        const ids = new Set(Array.from({ length: 4 }, () => `img${Math.floor(rnd() * (list.ids.length + 5))}`));
        let marked = 0;
        for (const id of ids) {
          const known = latest.get(id);
          if (!known || known.stale) continue;
          latest.set(id, { ...known, stale: true });
          marked++;
        }
        expect(table.markStale([...ids, ...ids]), `step ${step}`).toBe(marked);
      }
      const snapshot = table.snapshot();
      const want = expected(list.ids, latest);
      expect(Array.from({ length: snapshot.length }, (_, i) => snapshot.at(i)), `step ${step}`).toEqual(want);
      expect(Array.from({ length: snapshot.length }, (_, i) => snapshot.stateAt(i)), `step ${step}`).toEqual(want.map((r) => r && { status: r.status, stale: r.stale }));
      for (const id of ['img0', 'img3', `img${list.ids.length + 2}`]) expect(table.resultOf(id), `step ${step} ${id}`).toEqual(latest.get(id));
      // A view built from an earlier snapshot keeps reading what it was built from.
      if (earlier) expect(Array.from({ length: earlier.snapshot.length }, (_, i) => earlier!.snapshot.at(i)), `step ${step}`).toEqual(earlier.want);
      earlier = { snapshot, want };
    }
  });

  it('gives the same object for a result asked for again, and a new one once it is replaced', () => {
    const list = listing(['a.jpg', 'b.jpg']);
    const table = new ResultTable(list);
    const first: ResultSummary = { id: 'a.jpg', status: 'done', stale: false, multiLabel: false, scores: [['cat', 0.9]] };
    table.set(first);
    const before = table.snapshot();
    expect(before.at(0)).toBe(table.snapshot().at(0));
    expect(before.at(1)).toBeUndefined();
    expect(before.at(-1)).toBeUndefined();
    expect(before.at(2)).toBeUndefined();
    table.set({ ...first, scores: [['dog', 0.8]] });
    expect(table.snapshot().at(0)).toEqual({ ...first, scores: [['dog', 0.8]] });
    expect(before.at(0)).toEqual(first);
    expect(table.snapshot().count()).toBe(1);
  });

  it('marks results stale as new rows: a view built before keeps them as they were', () => {
    const list = listing(['a.jpg', 'b.jpg', 'c.jpg']);
    const table = new ResultTable(list);
    const a: ResultSummary = { id: 'a.jpg', status: 'done', stale: false, multiLabel: true, scores: [['cat', 0.9], ['dog', 0.6]] };
    const b: ResultSummary = { id: 'b.jpg', status: 'error', stale: false, multiLabel: false, scores: [], error: { code: 'server', message: 'Server error' } };
    table.addPage(packColumns(encodeResults(2, [a, b])));
    const before = table.snapshot();
    expect(table.markStale(['a.jpg', 'b.jpg', 'c.jpg', 'elsewhere.jpg'])).toBe(2);
    const after = table.snapshot();
    expect(after.at(0)).toEqual({ ...a, stale: true });
    expect(after.at(1)).toEqual({ ...b, stale: true });
    expect(after.at(2)).toBeUndefined();
    expect(after.stateAt(1)).toEqual({ status: 'error', stale: true });
    expect([before.at(0), before.at(1)]).toEqual([a, b]);
    // Already stale: nothing to mark, and the same result object as before.
    expect(table.markStale(['a.jpg'])).toBe(0);
    expect(table.snapshot().at(0)).toBe(after.at(0));
  });

  it('gives every confidence back exactly, whether its pair is shared or not', () => {
    const values = [0, -0, 1, 0.5, 0.3431, 0.30000000000000004, 1e-7, Math.fround(0.1), 1.5, -0.25];
    const items: ResultSummary[] = values.map((v, i) => ({ id: `img${i}.jpg`, status: 'done', stale: false, multiLabel: true, scores: [['cat', v], ['dog', 0.3431]] }));
    const twice = [...items, ...items.map((item) => ({ ...item, id: `again-${item.id}` }))];
    const table = new ResultTable(listing(twice.map((item) => item.id)));
    table.addPage(packColumns(encodeResults(twice.length, twice)));
    const snapshot = table.snapshot();
    for (let i = 0; i < twice.length; i++) {
      const scores = snapshot.at(i)!.scores;
      expect(Object.is(scores[0][1], values[i % values.length]), `${twice[i].id}: ${scores[0][1]}`).toBe(true);
      expect(scores[1]).toEqual(['dog', 0.3431]);
    }
  });

  it('takes in what a damaged or foreign page does say, without throwing', () => {
    const items: ResultSummary[] = [
      { id: 'a.jpg', status: 'done', stale: false, multiLabel: false, scores: [['cat', 0.9], ['dog', 0.1]] },
      { id: 'b.jpg', status: 'done', stale: false, multiLabel: true, scores: [['dog', 0.8], ['owl', 0.6]] },
    ];
    for (const total of [Number.NaN, -5, 'many', null, 1e12]) {
      const table = new ResultTable(listing(['a.jpg', 'b.jpg']));
      const page = JSON.parse(JSON.stringify(encodeResults(2, items)));
      page.total = total;
      // A class index out of the page's table: that score is dropped, the others kept.
      page.scoreClass[0] = 99;
      table.addPage(page);
      const snapshot = table.snapshot();
      expect(snapshot.at(0), String(total)).toEqual({ ...items[0], scores: [['dog', 0.1]] });
      expect(snapshot.at(1), String(total)).toEqual(items[1]);
    }
    const table = new ResultTable(listing(['a.jpg', 'b.jpg']));
    const cut = JSON.parse(JSON.stringify(encodeResults(2, items)));
    cut.flags.pop();
    table.addPage(cut);
    expect(table.snapshot().count()).toBe(1);
  });

  it('keeps only the live results when the same images are classified again and again', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `img${i}.jpg`);
    const table = new ResultTable(listing(ids));
    const rnd = random(11);
    const latest = new Map<string, ResultSummary>();
    for (let run = 0; run < 12; run++) {
      // Each run in pages of a few hundred, so rows are dropped between pages and within a run.
      for (let at = 0; at < ids.length; at += 300) {
        const items = ids.slice(at, at + 300).map((id) => summary(id, rnd));
        table.addPage(packColumns(encodeResults(ids.length, items)));
        for (const item of items) latest.set(item.id, item);
        if (run % 3 === 0) {
          const item = summary(ids[Math.floor(rnd() * ids.length)], rnd);
          table.set(item);
          latest.set(item.id, item);
        }
        const snapshot = table.snapshot();
        expect(Array.from({ length: snapshot.length }, (_, i) => snapshot.at(i)), `run ${run} page ${at}`).toEqual(expected(ids, latest));
      }
    }
    // 24,000 results were taken in; far fewer rows are kept.
    expect(table.snapshot().rows.count).toBeLessThan(3 * ids.length + 4096);
  });

  it('prepares the same view from its columns as from the summaries', () => {
    const rnd = random(3);
    const ids = Array.from({ length: 3000 }, (_, i) => `dir${i % 7}/img${i}.jpg`);
    const list = listing(ids.slice(0, 2500));
    const table = new ResultTable(list);
    const latest = new Map<string, ResultSummary>();
    for (let page = 0; page < 4; page++) {
      const items = Array.from({ length: 900 }, () => summary(ids[Math.floor(rnd() * ids.length)], rnd));
      table.addPage(packColumns(encodeResults(items.length, items)));
      for (const item of items) latest.set(item.id, item);
    }
    list.ids.push(...ids.slice(2500));
    const names = buildNameIndex(list.ids);
    const fromColumns = prepareView(names, table.snapshot());
    const fromSummaries = prepareView(names, expected(list.ids, latest));
    const { results: a, ...columnFacts } = fromColumns;
    const { results: b, ...summaryFacts } = fromSummaries;
    expect(columnFacts).toEqual(summaryFacts);
    expect(Array.from({ length: a.length }, (_, i) => a.at(i))).toEqual(Array.from({ length: b.length }, (_, i) => b.at(i)));
    expect(fromColumns.classNames).toEqual([...classes].sort());
    // And so filters, sorts and margins agree.
    for (const sort of ['confidence-desc', 'class', 'margin-asc'] as const) {
      expect(buildPreparedView(fromColumns, { ...defaultFilter, classes: new Set(['dog']) }, sort, 0.3)).toEqual(buildPreparedView(fromSummaries, { ...defaultFilter, classes: new Set(['dog']) }, sort, 0.3));
    }
  });
});
