import { describe, expect, it } from 'vitest';
import { buildNameIndex, buildPreparedView, buildView, defaultFilter, extendNameIndex, labelsAt, lowerNames, naturalKey, prepareView, sortedNameIndex, type SortKey, type ViewFilter } from '../../app/view-filter';
import { confidenceHistogram, histogramOfView } from '../../app/confidence-histogram';
import type { Threshold } from '../../app/roboflow';
import type { ImageEntry, ResultSummary } from '../../app/types';
import { uncertaintyOf } from '../../app/uncertainty';

const entry = (id: string): ImageEntry => ({ id, name: id.split('/').pop()!, size: 1, mtimeMs: 0 });
const done = (id: string, scores: Array<[string, number]>, multiLabel = false): ResultSummary => ({
  id,
  status: 'done',
  stale: false,
  multiLabel,
  scores,
});
const failed = (id: string): ResultSummary => ({
  id,
  status: 'error',
  stale: false,
  multiLabel: false,
  scores: [],
  error: { code: 'bad_image', message: 'Not an image.' },
});

const entries = ['img10.jpg', 'img2.jpg', 'b/red.png', 'a/blue.png', 'bad.jpg', 'new.jpg'].map(entry);
const results: Array<ResultSummary | undefined> = [
  done('img10.jpg', [['red', 0.9], ['green', 0.07], ['blue', 0.03]]),
  done('img2.jpg', [['green', 0.35], ['red', 0.33], ['blue', 0.32]]),
  done('b/red.png', [['red', 0.6], ['blue', 0.4]]),
  done('a/blue.png', [['blue', 0.99], ['red', 0.01]]),
  failed('bad.jpg'),
  undefined,
];
const names = buildNameIndex(entries);
const ids = (order: Int32Array) => Array.from(order, (i) => entries[i].id);
const filter = (patch: Partial<ViewFilter>): ViewFilter => ({ ...defaultFilter, ...patch });

describe('labelsAt', () => {
  it('keeps the top class of a single-label result and mutes it under the threshold', () => {
    expect(labelsAt(results[0]!, 0.4)).toEqual({ classes: [['red', 0.9]], below: false });
    expect(labelsAt(results[1]!, 0.4)).toEqual({ classes: [['green', 0.35]], below: true });
  });
  it('lists every class at or above the threshold for multi-label', () => {
    const multi = done('m', [['cat', 0.8], ['dog', 0.5], ['owl', 0.1]], true);
    expect(labelsAt(multi, 0.4).classes).toEqual([['cat', 0.8], ['dog', 0.5]]);
    expect(labelsAt(multi, 0.9)).toEqual({ classes: [['cat', 0.8]], below: true });
  });
});

describe('buildView', () => {
  it('orders by natural path and counts states and classes', () => {
    const view = buildView(names, results, defaultFilter, 'name', 0.4);
    expect(ids(view.order)).toEqual(['a/blue.png', 'b/red.png', 'bad.jpg', 'img2.jpg', 'img10.jpg', 'new.jpg']);
    expect(view.counts.total).toBe(6);
    expect(view.counts.shown).toBe(6);
    expect(view.counts.states).toEqual({ unclassified: 1, done: 4, error: 1 });
    // img2.jpg (green 35%) is below the 40% threshold: no class, like its muted badge.
    expect(Object.fromEntries(view.counts.classes)).toEqual({ red: 2, blue: 1 });
  });

  it('counts and filters classes at the threshold: an image below it has no class', () => {
    const at30 = buildView(names, results, defaultFilter, 'name', 0.3);
    expect(Object.fromEntries(at30.counts.classes)).toEqual({ red: 2, green: 1, blue: 1 });
    const at40 = buildView(names, results, filter({ classes: new Set(['green']) }), 'name', 0.4);
    expect(ids(at40.order)).toEqual([]);
    expect(at40.counts.classes.get('green')).toBeUndefined();
    const at95 = buildView(names, results, defaultFilter, 'name', 0.95);
    expect(Object.fromEntries(at95.counts.classes)).toEqual({ blue: 1 });
    // The other facets still see the image.
    expect(at95.counts.states.done).toBe(4);
  });

  it('filters by class, state, search and confidence, counting facets without their own filter', () => {
    const red = buildView(names, results, filter({ classes: new Set(['red']) }), 'name', 0.4);
    expect(ids(red.order)).toEqual(['b/red.png', 'img10.jpg']);
    expect(red.counts.classes.get('blue')).toBe(1);
    expect(red.counts.states).toEqual({ unclassified: 0, done: 2, error: 0 });

    expect(ids(buildView(names, results, filter({ state: 'error' }), 'name', 0.4).order)).toEqual(['bad.jpg']);
    expect(ids(buildView(names, results, filter({ state: 'unclassified' }), 'name', 0.4).order)).toEqual(['new.jpg']);
    expect(ids(buildView(names, results, filter({ search: 'IMG' }), 'name', 0.4).order)).toEqual(['img2.jpg', 'img10.jpg']);
    const confident = buildView(names, results, filter({ confMin: 0.5, confMax: 0.95 }), 'name', 0.4);
    expect(ids(confident.order)).toEqual(['b/red.png', 'img10.jpg']);
  });

  it('sorts by confidence both ways and by class, with unclassified images last', () => {
    expect(ids(buildView(names, results, defaultFilter, 'confidence-desc', 0.4).order)).toEqual([
      'a/blue.png',
      'img10.jpg',
      'b/red.png',
      'img2.jpg',
      'bad.jpg',
      'new.jpg',
    ]);
    expect(ids(buildView(names, results, defaultFilter, 'confidence-asc', 0.4).order).slice(0, 4)).toEqual([
      'img2.jpg',
      'b/red.png',
      'img10.jpg',
      'a/blue.png',
    ]);
    expect(ids(buildView(names, results, defaultFilter, 'class', 0.4).order).slice(0, 4)).toEqual([
      'a/blue.png',
      'img2.jpg',
      'img10.jpg',
      'b/red.png',
    ]);
  });

  it('changes labels with the threshold for multi-label results without new data', () => {
    const multiEntries = [entry('x.jpg'), entry('y.jpg')];
    const multi = [done('x.jpg', [['cat', 0.8], ['dog', 0.5]], true), done('y.jpg', [['dog', 0.7], ['cat', 0.2]], true)];
    const index = buildNameIndex(multiEntries);
    const low = buildView(index, multi, filter({ classes: new Set(['dog']) }), 'name', 0.4);
    expect(low.order.length).toBe(2);
    const high = buildView(index, multi, filter({ classes: new Set(['dog']) }), 'name', 0.6);
    expect(Array.from(high.order, (i) => multiEntries[i].id)).toEqual(['y.jpg']);
  });

  it('counts and sorts multi-label results exactly as labelsAt reads them, at any threshold', () => {
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const classes = ['ant', 'bee', 'cat', 'dog'];
    const many = Array.from({ length: 200 }, (_, i) => entry(`m${i}.jpg`));
    const scored = many.map((e): ResultSummary | undefined => {
      if (rnd() < 0.1) return undefined;
      const scores = classes.map((name): [string, number] => [name, Math.round(rnd() * 20) / 20]).sort((a, b) => b[1] - a[1]);
      return done(e.id, scores, true);
    });
    const index = buildNameIndex(many);
    for (const threshold of [0, 0.3, 0.5, 0.95, 1]) {
      const expected = new Map<string, number>();
      const counted = (r: ResultSummary | undefined) => (r && !labelsAt(r, threshold).below ? labelsAt(r, threshold).classes : []);
      for (const r of scored) for (const [name] of counted(r)) expected.set(name, (expected.get(name) ?? 0) + 1);
      const view = buildView(index, scored, filter({}), 'class', threshold);
      expect(Object.fromEntries(view.counts.classes)).toEqual(Object.fromEntries(expected));
      const firsts = Array.from(view.order, (i) => (scored[i] ? labelsAt(scored[i]!, threshold).classes[0][0] : '~'));
      expect(firsts).toEqual([...firsts].sort());
      const withBee = buildView(index, scored, filter({ classes: new Set(['bee']) }), 'name', threshold);
      const beeIds = many.filter((_, i) => counted(scored[i]).some(([name]) => name === 'bee')).map((e) => e.id);
      expect(Array.from(withBee.order, (i) => many[i].id).sort()).toEqual(beeIds.sort());
    }
  });
});

describe('sorting', () => {
  // The order every sort must give: (class, confidence to 1e-6, name), images without a confidence
  // (errors, unclassified) last in name order, whatever the direction.
  function reference(list: ImageEntry[], scored: Array<ResultSummary | undefined>, sort: 'confidence-desc' | 'confidence-asc' | 'class', keep: (i: number) => boolean): string[] {
    const index = buildNameIndex(list);
    const rank = (i: number) => index.rank[i];
    const top = (i: number) => (scored[i]?.status === 'done' ? scored[i]!.scores[0] : undefined);
    const step = (i: number) => {
      const t = top(i);
      if (!t) return Infinity;
      const q = Math.round(t[1] * 1_000_000);
      return sort === 'confidence-asc' ? q : -q;
    };
    const klass = (i: number) => top(i)?.[0] ?? '\uffff';
    const shown = list.map((_, i) => i).filter(keep);
    shown.sort((a, b) => {
      if (sort === 'class' && klass(a) !== klass(b)) return klass(a) < klass(b) ? -1 : 1;
      return step(a) - step(b) || rank(a) - rank(b);
    });
    return shown.map((i) => list[i].id);
  }

  it('gives the reference order with ties, errors, unclassified images, multi-label and a filter', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const classes = ['ant', 'bee', 'cat'];
    const list = Array.from({ length: 3000 }, (_, i) => entry(`d${i % 7}/img${(i * 7919) % 3000}.jpg`));
    const scored = list.map((e): ResultSummary | undefined => {
      const r = rnd();
      if (r < 0.1) return undefined;
      if (r < 0.15) return failed(e.id);
      // Coarse confidences, so many images tie; some differ below the 1e-6 step and tie too.
      const c = Math.round(rnd() * 20) / 20 + (rnd() < 0.2 ? 1e-8 : 0);
      const name = classes[Math.floor(rnd() * classes.length)];
      const other = classes.find((k) => k !== name)!;
      return done(e.id, [[name, Math.min(1, c)], [other, 0]], rnd() < 0.2);
    });
    const index = buildNameIndex(list);
    const prep = prepareView(index, scored);
    for (const sort of ['confidence-desc', 'confidence-asc', 'class'] as const) {
      const all = buildPreparedView(prep, defaultFilter, sort, 0.4);
      expect(Array.from(all.order, (i) => list[i].id)).toEqual(reference(list, scored, sort, () => true));
      const some = buildPreparedView(prep, filter({ search: 'img1' }), sort, 0.4);
      expect(Array.from(some.order, (i) => list[i].id)).toEqual(reference(list, scored, sort, (i) => list[i].id.toLowerCase().includes('img1')));
    }
  });

  it('gives the same views when only the sort, then the threshold, then the filter change on one prepared view', () => {
    const prep = prepareView(names, results);
    const red = filter({ classes: new Set(['red']) });
    const steps: Array<[ViewFilter, 'name' | 'confidence-desc' | 'confidence-asc' | 'class', number]> = [
      [defaultFilter, 'name', 0.4],
      [defaultFilter, 'confidence-desc', 0.4],
      [defaultFilter, 'class', 0.4],
      [defaultFilter, 'class', 0.3],
      [red, 'class', 0.3],
      [red, 'confidence-asc', 0.3],
      [defaultFilter, 'confidence-asc', 0.3],
      [defaultFilter, 'name', 0.4],
    ];
    for (const [f, sort, threshold] of steps) {
      const view = buildPreparedView(prep, f, sort, threshold);
      const fresh = buildView(buildNameIndex(entries), results, { ...f }, sort, threshold);
      expect(ids(view.order)).toEqual(ids(fresh.order));
      expect(view.counts).toEqual(fresh.counts);
    }
  });

  it('sorts a confidence above 1 as 1 and loses no image', () => {
    const list = ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg'].map(entry);
    const scored = [done('a.jpg', [['cat', 1.5]]), done('b.jpg', [['cat', 0.5]]), undefined, done('d.jpg', [['cat', 2]]), done('e.jpg', [['cat', 1]])];
    const index = buildNameIndex(list);
    const sorted = (sort: 'confidence-desc' | 'confidence-asc') => Array.from(buildView(index, scored, defaultFilter, sort, 0.4).order, (i) => list[i].id);
    expect(sorted('confidence-desc')).toEqual(['a.jpg', 'd.jpg', 'e.jpg', 'b.jpg', 'c.jpg']);
    expect(sorted('confidence-asc')).toEqual(['b.jpg', 'a.jpg', 'd.jpg', 'e.jpg', 'c.jpg']);
  });
});

describe('evaluation hooks', () => {
  it('keeps only the allow-listed entries, with the other filters and counts on top', () => {
    // Entry indices 0 (img10, red), 2 (b/red, red), 3 (a/blue, blue).
    const only = new Set([0, 2, 3]);
    const view = buildView(names, results, filter({ only }), 'name', 0.4);
    expect(ids(view.order)).toEqual(['a/blue.png', 'b/red.png', 'img10.jpg']);
    expect(view.counts.shown).toBe(3);
    expect(view.counts.states).toEqual({ unclassified: 0, done: 3, error: 0 });
    expect(Object.fromEntries(view.counts.classes)).toEqual({ red: 2, blue: 1 });
    const red = buildView(names, results, filter({ only, classes: new Set(['red']) }), 'name', 0.4);
    expect(ids(red.order)).toEqual(['b/red.png', 'img10.jpg']);
    expect(buildView(names, results, filter({ only: new Set() }), 'name', 0.4).order.length).toBe(0);
    expect(buildView(names, results, filter({ only: null }), 'name', 0.4).order.length).toBe(entries.length);
  });

  it('sorts mistakes first, each part by confidence descending', () => {
    const mistakes = new Uint8Array(entries.length);
    mistakes[1] = 1; // img2 (green 35%)
    mistakes[2] = 1; // b/red (red 60%)
    const view = buildPreparedView(prepareView(names, results), defaultFilter, 'mistakes', 0.4, mistakes);
    expect(ids(view.order)).toEqual(['b/red.png', 'img2.jpg', 'a/blue.png', 'img10.jpg', 'bad.jpg', 'new.jpg']);
    // Without a mask it is the confidence order.
    const plain = buildPreparedView(prepareView(names, results), defaultFilter, 'mistakes', 0.4);
    expect(ids(plain.order)).toEqual(ids(buildView(names, results, defaultFilter, 'confidence-desc', 0.4).order));
  });
});

describe('naturalKey', () => {
  it('orders names exactly as the numeric, case- and accent-insensitive collator does', () => {
    const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
    const parts = ['a', 'b', 'Z', '0', '1', '2', '9', '00', '10', '_', '-', '.', '/', ' ', 'é', 'e', '日', '(', '~', '$', '#', 'img', 'x'];
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const name = () => Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => parts[Math.floor(rnd() * parts.length)]).join('').toLowerCase();
    const mismatches: string[] = [];
    for (let k = 0; k < 20_000; k++) {
      const [a, b] = [name(), name()];
      const [ka, kb] = [naturalKey(a), naturalKey(b)];
      if ((ka < kb ? -1 : ka > kb ? 1 : 0) !== Math.sign(collator.compare(a, b))) mismatches.push(`${a} | ${b}`);
    }
    expect(mismatches).toEqual([]);
    expect(naturalKey('img2.jpg') < naturalKey('img10.jpg')).toBe(true);
    expect(naturalKey('b/red.png') < naturalKey('bad.jpg')).toBe(true);
  });

  it('keys paths far longer than the slices its key is built in, and a short one after them', () => {
    // A deep path of long folder names: more than 4,096 code units of key.
    const deep = Array.from({ length: 60 }, (_, i) => `folder ${i} ${'x'.repeat(90)}`).join('/');
    const key = naturalKey(`${deep}/img2.jpg`);
    expect(key.length).toBeGreaterThan(4096 + 500);
    expect(key < naturalKey(`${deep}/img10.jpg`)).toBe(true);
    expect(key.startsWith(naturalKey('folder 0 '))).toBe(true);
    expect(naturalKey('a1.jpg')).toBe(naturalKey('a01.jpg'));
    expect(naturalKey('a1.jpg').length).toBeLessThan(10);
  });
});

describe('extendNameIndex', () => {
  it('gives the same order as indexing the whole listing, batch after batch', () => {
    const all = ['img10.jpg', 'b/x.jpg', 'img2.jpg', 'a.jpg', 'IMG1.jpg', 'img2.JPG', 'z/10.png', 'z/9.png', 'é.jpg', 'e.jpg'].map(entry);
    let index = buildNameIndex([]);
    for (const end of [3, 4, 8, 10]) {
      index = extendNameIndex(index, all.slice(0, end));
      const whole = buildNameIndex(all.slice(0, end));
      expect(Array.from(index.order)).toEqual(Array.from(whole.order));
      expect(Array.from(index.rank)).toEqual(Array.from(whole.rank));
    }
    expect(Array.from(index.order, (i) => all[i].id)).toEqual(['a.jpg', 'b/x.jpg', 'e.jpg', 'é.jpg', 'IMG1.jpg', 'img2.jpg', 'img2.JPG', 'img10.jpg', 'z/9.png', 'z/10.png']);
  });

  it('indexes a listing given as its ids (as the page keeps it) exactly as one given as entries', () => {
    const ids = ['img10.jpg', 'b/x.jpg', 'img2.jpg', 'a.jpg', 'IMG1.jpg', 'é.jpg', 'e.jpg'];
    let fromIds = buildNameIndex([]);
    let fromEntries = buildNameIndex([]);
    for (const end of [2, 5, 7]) {
      fromIds = extendNameIndex(fromIds, ids.slice(0, end));
      fromEntries = extendNameIndex(fromEntries, ids.slice(0, end).map(entry));
      expect(fromIds).toEqual(fromEntries);
    }
    const sortedIds = sortedNameIndex(buildNameIndex([]), ['a.jpg', 'B.jpg']);
    const sortedEntries = sortedNameIndex(buildNameIndex([]), ['a.jpg', 'B.jpg'].map(entry));
    expect([Array.from(sortedIds.order), lowerNames(sortedIds)]).toEqual([Array.from(sortedEntries.order), lowerNames(sortedEntries)]);
  });
});

describe('sortedNameIndex', () => {
  it('lists entries that came in name order as they are, and still extends with entries that did not', () => {
    const inOrder = ['a.jpg', 'b/x.jpg', 'e.jpg', 'é.jpg', 'IMG1.jpg', 'img2.jpg'].map(entry);
    let index = sortedNameIndex(buildNameIndex([]), inOrder.slice(0, 2));
    index = sortedNameIndex(index, inOrder);
    expect(Array.from(index.order)).toEqual(Array.from(buildNameIndex(inOrder).order));
    expect(Array.from(index.rank)).toEqual(Array.from(buildNameIndex(inOrder).rank));
    expect(lowerNames(index)).toEqual(inOrder.map((e) => e.id.toLowerCase()));
    // A later batch out of order (the folder was scanned after all): merged in by key as usual.
    const all = [...inOrder, ...['img10.jpg', 'Z/9.png', 'c.jpg', 'img1.JPG'].map(entry)];
    index = extendNameIndex(index, all);
    expect(Array.from(index.order)).toEqual(Array.from(buildNameIndex(all).order));
    expect(Array.from(index.order, (i) => all[i].id)).toEqual(['a.jpg', 'b/x.jpg', 'c.jpg', 'e.jpg', 'é.jpg', 'IMG1.jpg', 'img1.JPG', 'img2.jpg', 'img10.jpg', 'Z/9.png']);
  });
});

describe('search over a listing that came in name order', () => {
  // A cached listing is indexed without lower-casing its paths; a search must still find them,
  // case ignored, whether the index was searched, warmed in part, or extended first.
  const inOrder = ['A/Cat-01.jpg', 'a/dog.jpg', 'B/CAT-2.JPG', 'b/cow.jpg', 'c/cat10.png'];
  const none = inOrder.map(() => undefined);
  const found = (index: ReturnType<typeof sortedNameIndex>, text: string, list = inOrder) =>
    Array.from(buildView(index, list.map(() => undefined), filter({ search: text }), 'name', 0.5).order, (i) => list[i]);

  it('finds paths by any case of the text', () => {
    const index = sortedNameIndex(sortedNameIndex(buildNameIndex([]), inOrder.slice(0, 2)), inOrder);
    expect(found(index, 'CAT')).toEqual(['A/Cat-01.jpg', 'B/CAT-2.JPG', 'c/cat10.png']);
    expect(found(index, 'b/c')).toEqual(['B/CAT-2.JPG', 'b/cow.jpg']);
    expect(buildView(index, none, filter({ search: 'horse' }), 'name', 0.5).counts.shown).toBe(0);
  });

  it('finds them when part of the paths were lower-cased before (an idle warm-up cut short)', () => {
    const index = sortedNameIndex(buildNameIndex([]), inOrder);
    expect(lowerNames(index, 2)).toEqual(['a/cat-01.jpg', 'a/dog.jpg']);
    expect(found(index, '.jpg')).toEqual(['A/Cat-01.jpg', 'a/dog.jpg', 'B/CAT-2.JPG', 'b/cow.jpg']);
  });

  it('finds the ones listed since when the listing grew out of order', () => {
    const grown = [...inOrder, 'a/Cat-3.jpg'];
    const index = extendNameIndex(sortedNameIndex(buildNameIndex([]), inOrder), grown);
    expect(found(index, 'cat-', grown)).toEqual(['A/Cat-01.jpg', 'a/Cat-3.jpg', 'B/CAT-2.JPG']);
  });
});

describe('uncertainty sort and filter', () => {
  it('sorts least certain first by margin or entropy, images without scores last', () => {
    // Margins: img2 0.02, b/red 0.2, img10 0.83, a/blue 0.98; entropies fall in the same order.
    const expected = ['img2.jpg', 'b/red.png', 'img10.jpg', 'a/blue.png', 'bad.jpg', 'new.jpg'];
    expect(ids(buildView(names, results, defaultFilter, 'margin-asc', 0.4).order)).toEqual(expected);
    expect(ids(buildView(names, results, defaultFilter, 'entropy-desc', 0.4).order)).toEqual(expected);
  });
  it('filters by a margin or entropy range, dropping unclassified images', () => {
    expect(ids(buildView(names, results, filter({ marginMax: 0.5 }), 'name', 0.4).order)).toEqual(['b/red.png', 'img2.jpg']);
    // H(0.9, 0.07, 0.03) / ln 3 = 0.35; H(0.99, 0.01) / ln 2 = 0.08.
    expect(ids(buildView(names, results, filter({ entropyMin: 0.2, entropyMax: 0.5 }), 'name', 0.4).order)).toEqual(['img10.jpg']);
  });
  it('measures multi-label margins against the current threshold', () => {
    const multi = [done('img10.jpg', [['red', 0.9], ['blue', 0.6]], true), done('img2.jpg', [['red', 0.7], ['blue', 0.1]], true)];
    const prep = prepareView(buildNameIndex(entries.slice(0, 2)), multi);
    // Margins (img10 vs img2) at 0.5: 0.1 vs 0.2; at 0.3: 0.3 vs 0.2.
    const at = (t: number) => Array.from(buildPreparedView(prep, defaultFilter, 'margin-asc', t).order, (i) => entries[i].id);
    expect(at(0.5)).toEqual(['img10.jpg', 'img2.jpg']);
    expect(at(0.3)).toEqual(['img2.jpg', 'img10.jpg']);
  });
});

describe('filtering, counting and sorting against a plain reference', () => {
  // The plain rules, one image at a time: what a person reading the badges would count. The view's
  // fast path (candidate lists kept between changes, a longer search filtering the last list, the
  // whole folder sorted once per sort, the histogram counted in the filter pass) must agree.
  function reference(list: ImageEntry[], scored: Array<ResultSummary | undefined>, f: ViewFilter, sort: SortKey, threshold: Threshold, mistakes: Uint8Array | null) {
    const index = buildNameIndex(list);
    const search = f.search.trim().toLowerCase();
    const done = (i: number) => (scored[i]?.status === 'done' ? scored[i] : undefined);
    const conf = (i: number) => done(i)?.scores[0]?.[1] ?? -1;
    const unc = (i: number) => {
      const r = done(i);
      return (r && uncertaintyOf(r.scores, r.multiLabel, threshold)) ?? { margin: -1, entropy: -1 };
    };
    const stateOf = (i: number) => (!scored[i] ? 'unclassified' : scored[i]!.status === 'error' ? 'error' : 'done');
    const labelsOf = (i: number) => {
      const r = done(i);
      if (!r) return [];
      const labels = labelsAt(r, threshold);
      return labels.below ? [] : labels.classes.map(([name]) => name);
    };
    const [mMin, mMax, eMin, eMax] = [f.marginMin ?? 0, f.marginMax ?? 1, f.entropyMin ?? 0, f.entropyMax ?? 1];
    const byUnc = mMin > 0 || mMax < 1 || eMin > 0 || eMax < 1;
    const candidate = (i: number) => {
      if (f.only && !f.only.has(i)) return false;
      if (!index.lower[i].includes(search)) return false;
      const c = conf(i);
      if (!(f.confMin <= 0 && f.confMax >= 1) && (c < 0 || c < f.confMin || c > f.confMax)) return false;
      const u = unc(i);
      return !byUnc || (u.margin >= 0 && u.margin >= mMin && u.margin <= mMax && u.entropy >= eMin && u.entropy <= eMax);
    };
    const states = { unclassified: 0, done: 0, error: 0 };
    const classes = new Map<string, number>();
    const shown: number[] = [];
    for (let i = 0; i < list.length; i++) {
      if (!candidate(i)) continue;
      const labels = labelsOf(i);
      const inState = f.state === 'all' || f.state === stateOf(i);
      const inClass = f.classes.size === 0 || labels.some((name) => f.classes.has(name));
      if (inClass) states[stateOf(i)] += 1;
      if (inState) for (const name of labels) classes.set(name, (classes.get(name) ?? 0) + 1);
      if (inClass && inState) shown.push(i);
    }
    const step = (v: number) => (v < 0 ? Infinity : Math.round(Math.min(v, 1) * 1_000_000));
    const key = (i: number): number => {
      if (sort === 'confidence-asc') return step(conf(i));
      if (sort === 'margin-asc') return step(unc(i).margin);
      if (sort === 'entropy-desc') return unc(i).entropy < 0 ? Infinity : -step(unc(i).entropy);
      return conf(i) < 0 ? Infinity : -step(conf(i));
    };
    const klass = (i: number) => (conf(i) < 0 ? '\uffff' : done(i)!.scores[0][0]);
    const first = (i: number) => (sort === 'mistakes' && mistakes?.[i] === 1 ? 0 : 1);
    const order = [...shown].sort((a, b) => {
      if (sort === 'name') return index.rank[a] - index.rank[b];
      if (sort === 'class' && klass(a) !== klass(b)) return klass(a) < klass(b) ? -1 : 1;
      return first(a) - first(b) || key(a) - key(b) || index.rank[a] - index.rank[b];
    });
    const sortedClasses = new Map([...classes].sort(([a], [b]) => (a < b ? -1 : 1)));
    return { order, counts: { total: list.length, shown: shown.length, states, classes: sortedClasses } };
  }

  // Names with odd Unicode: combining accents, dotted capital I (its lower case is longer), sharp s,
  // final sigma, astral emoji (surrogate pairs), CJK, and a name that is only a number.
  const stems = ['img', 'IMG', 'İstanbul', 'straße', 'ΣΟΦΟΣ', 'cafe\u0301', 'café', '😀cat', '猫', '2024'];
  const searches = ['', 'i', 'im', 'img', 'img1', 'img12', ' IMG ', 'i̇', 'İ', 'stra', 'straße', 'σοφος', 'σοφοσ', 'e\u0301', 'é', '😀', '\ud83d', '猫', '/', '.jpg', '1', '12', 'zzz'];

  function randomFolder(seed: number, size: number) {
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
    const classes = ['ant', 'bee', 'cat', 'dog'];
    const list = Array.from({ length: size }, (_, i) => entry(`${pick(['a', 'B', 'ü'])}${i % 5}/${pick(stems)}${Math.floor(rnd() * 40)}.jpg`)).filter((e, i, all) => all.findIndex((o) => o.id === e.id) === i);
    // Confidences on a coarse grid, so ties and exact threshold hits are common.
    const grid = () => Math.round(rnd() * 20) / 20;
    const scored = list.map((e): ResultSummary | undefined => {
      const r = rnd();
      if (r < 0.12) return undefined;
      if (r < 0.18) return failed(e.id);
      if (r < 0.2) return done(e.id, []);
      const names = [...classes].sort(() => rnd() - 0.5).slice(0, 1 + Math.floor(rnd() * 3));
      // Stored scores come sorted as every response is normalised: confidence descending, then name.
      const scores = names.map((name): [string, number] => [name, grid()]).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      if (rnd() < 0.03) scores[0][1] = 1.25;
      return done(e.id, scores, rnd() < 0.3);
    });
    return { list, scored, rnd, pick, classes };
  }

  it('agrees with the reference over a long run of filter, threshold and sort changes on one prepared view', () => {
    const { list, scored, rnd, pick, classes } = randomFolder(11, 1500);
    const prep = prepareView(buildNameIndex(list), scored);
    const sorts: SortKey[] = ['name', 'confidence-desc', 'confidence-asc', 'class', 'mistakes', 'margin-asc', 'entropy-desc'];
    // Thresholds on the confidence grid (images exactly at them), between it, and per class.
    const thresholds: Threshold[] = [0.4, 0.45, 0.5, 0.425, { default: 0.5, perClass: { cat: 0.2, dog: 0.95 } }, 0, 1];
    const onlySets = [new Set(list.map((_, i) => i).filter((i) => i % 3 !== 0)), new Set([0, 5, 9, 400])];
    const mistakes = Uint8Array.from(list, () => (rnd() < 0.2 ? 1 : 0));
    let f: ViewFilter = defaultFilter;
    let sort: SortKey = 'name';
    let threshold: Threshold = 0.4;
    for (let step = 0; step < 400; step++) {
      const r = rnd();
      if (r < 0.25) {
        // Typing (a longer search), deleting, or another search.
        const s = f.search;
        const next = rnd() < 0.5 && s ? s + pick(['', 'g', '1', '2', 'ß', 'e\u0301']) : rnd() < 0.5 ? s.slice(0, -1) : pick(searches);
        f = { ...f, search: next };
      } else if (r < 0.4) {
        const lo = pick([0, 0, 0.1, 0.25, 0.5, 0.55]);
        const hi = pick([1, 1, 0.9, 0.75, 0.5, lo + 0.2]);
        f = { ...f, confMin: lo, confMax: hi };
      } else if (r < 0.5) {
        f = { ...f, marginMin: pick([undefined, 0, 0.1, 0.3]), marginMax: pick([undefined, 1, 0.6, 0.4]), entropyMin: pick([undefined, 0, 0.2]), entropyMax: pick([undefined, 1, 0.8]) };
      } else if (r < 0.6) {
        const next = new Set(f.classes);
        const name = pick([...classes, 'nope']);
        if (next.has(name)) next.delete(name);
        else next.add(name);
        f = { ...f, classes: next };
      } else if (r < 0.68) f = { ...f, state: pick(['all', 'all', 'done', 'error', 'unclassified'] as const) };
      else if (r < 0.74) f = { ...f, only: rnd() < 0.5 ? null : pick(onlySets) };
      else if (r < 0.87) threshold = pick(thresholds);
      else sort = pick(sorts);
      // Now and then the same filter as a new object (a store's setFilter({})).
      if (rnd() < 0.1) f = { ...f };
      const view = buildPreparedView(prep, f, sort, threshold, mistakes);
      const want = reference(list, scored, f, sort, threshold, mistakes);
      const label = JSON.stringify({ step, search: f.search, sort, threshold, conf: [f.confMin, f.confMax], state: f.state, classes: [...f.classes] });
      expect(Array.from(view.order), label).toEqual(want.order);
      expect({ ...view.counts, classes: new Map([...view.counts.classes].sort(([a], [b]) => (a < b ? -1 : 1))) }, label).toEqual(want.counts);
      for (const k of [-1, -2, ...prep.classNames.map((_, k) => k)]) {
        expect(histogramOfView(prep, view, k), `${label} class ${k}`).toEqual(confidenceHistogram(prep, want.order, k));
      }
    }
  });

  it('agrees with the reference when results arrive on the same name index (a run, a results page)', () => {
    const { list, scored } = randomFolder(23, 600);
    const names = buildNameIndex(list);
    const red = filter({ classes: new Set(['cat']) });
    // No results yet, then some, then all: each a new prepared view over the same names.
    for (const upTo of [0, 200, 600]) {
      const partial = scored.map((r, i) => (i < upTo ? r : undefined));
      const prep = prepareView(names, partial);
      for (const [f, sort, threshold] of [[defaultFilter, 'name', 0.4], [red, 'name', 0.4], [red, 'class', 0.5], [defaultFilter, 'confidence-desc', 0.5]] as const) {
        const view = buildPreparedView(prep, f, sort, threshold);
        const want = reference(list, partial, f, sort, threshold, null);
        expect(Array.from(view.order), `${upTo} ${sort}`).toEqual(want.order);
        expect(view.counts.shown).toBe(want.counts.shown);
        expect(view.counts.states).toEqual(want.counts.states);
        expect(new Map([...view.counts.classes].sort(([a], [b]) => (a < b ? -1 : 1)))).toEqual(want.counts.classes);
      }
    }
  });

  it('finds every search with odd Unicode, the first time and after narrowing from a shorter one', () => {
    const { list, scored } = randomFolder(5, 800);
    const fresh = () => prepareView(buildNameIndex(list), scored);
    const typed = fresh();
    for (const search of searches) {
      const want = reference(list, scored, filter({ search }), 'name', 0.4, null).order;
      expect(Array.from(buildPreparedView(fresh(), filter({ search }), 'name', 0.4).order), search).toEqual(want);
      // Typed one character at a time on one prepared view, as the search box does.
      for (let n = 1; n < search.length; n++) buildPreparedView(typed, filter({ search: search.slice(0, n) }), 'name', 0.4);
      expect(Array.from(buildPreparedView(typed, filter({ search }), 'name', 0.4).order), `typed ${search}`).toEqual(want);
    }
  });
});
