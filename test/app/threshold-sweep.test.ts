import { describe, expect, it } from 'vitest';
import { binsOfRange, confidenceHistogram, rangeOfBins } from '../../app/confidence-histogram';
import { evaluateAt, prepareEvaluation, type EvalInput } from '../../app/metrics';
import { thresholdRule, type Threshold } from '../../app/roboflow';
import { stepOf, thresholdSweep, topStep } from '../../app/threshold-sweep';
import { buildNameIndex, buildView, defaultFilter, prepareView } from '../../app/view-filter';
import type { ImageEntry, ResultSummary } from '../../app/types';

// The sweep and curves must say at every step exactly what evaluateAt says at that threshold (the
// numbers the evaluation panel shows), overrides included; the histogram counts what the grid shows.

function randomData(multiLabel: boolean, seed0: number): { data: EvalInput[]; classes: string[] } {
  let seed = seed0;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const classes = ['a', 'b', 'c', 'd'];
  const data: EvalInput[] = Array.from({ length: 500 }, (_, i) => {
    // Scores on the step grid now and then, to test the edges (0.29 * 100 is 28.999...).
    const score = () => (rnd() < 0.2 ? Math.round(rnd() * 100) / 100 : rnd());
    const scores = classes.map((c) => [c, score()] as [string, number]);
    const truth = multiLabel ? classes.filter(() => rnd() < 0.4) : [classes[Math.floor(rnd() * 4)]];
    return { id: `i${i}`, truth: truth.length ? truth : ['a'], result: { status: 'done', multiLabel, scores } };
  });
  data.push({ id: 'edge', truth: ['b'], result: { status: 'done', multiLabel, scores: [['b', 0.29], ['a', 0.1]] } });
  return { data, classes };
}

function expectSweepMatches(data: EvalInput[], classes: string[], rule: Threshold) {
  const prepared = prepareEvaluation(data, classes);
  const sweep = thresholdSweep(prepared, rule);
  expect(sweep.thresholds).toHaveLength(101);
  for (let k = 0; k <= 100; k++) {
    const base = k / 100;
    const m = evaluateAt(prepared, typeof rule === 'number' ? base : thresholdRule(base, rule.perClass));
    expect(sweep.accuracy[k]).toBeCloseTo(m.accuracy!, 12);
    expect(sweep.precision[k]).toBeCloseTo(m.macro.precision!, 12);
    expect(sweep.recall[k]).toBeCloseTo(m.macro.recall!, 12);
    expect(sweep.f1[k]).toBeCloseTo(m.macro.f1!, 12);
    // Each class curve sweeps that class's own threshold.
    const own = evaluateAt(prepared, base);
    classes.forEach((_, cls) => {
      expect(sweep.perClass[cls].precision[k]).toBe(own.perClass[cls].precision);
      expect(sweep.perClass[cls].recall[k]).toBe(own.perClass[cls].recall);
    });
  }
}

describe('thresholdSweep', () => {
  it('equals evaluateAt at each of the 101 thresholds, single-label', () => {
    const { data, classes } = randomData(false, 3);
    expectSweepMatches(data, classes, 0);
  });
  it('equals evaluateAt at each threshold, multi-label (exact match accuracy)', () => {
    const { data, classes } = randomData(true, 5);
    expectSweepMatches(data, classes, 0);
  });
  it('keeps per-class overrides fixed while the default moves', () => {
    const single = randomData(false, 9);
    expectSweepMatches(single.data, single.classes, thresholdRule(0, { b: 0.8, c: 0.15 }));
    const multi = randomData(true, 13);
    expectSweepMatches(multi.data, multi.classes, thresholdRule(0, { a: 0.5, d: 0.33 }));
  });
  it('places a score on the step it passes, exactly at the edges', () => {
    expect(topStep(0.29)).toBe(29);
    expect(topStep(0.57)).toBe(57);
    expect(topStep(0.289999)).toBe(28);
    expect(topStep(1)).toBe(100);
    expect(topStep(0)).toBe(0);
    expect(stepOf(0.404)).toBe(40);
  });
  it('has nulls, not made-up numbers, with nothing evaluated', () => {
    const sweep = thresholdSweep(prepareEvaluation([], ['a']));
    expect(sweep.accuracy[50]).toBeNull();
    expect(sweep.precision[50]).toBeNull();
    expect(sweep.perClass[0].recall[50]).toBeNull();
  });
});

describe('confidenceHistogram', () => {
  const entries: ImageEntry[] = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id: `${id}.jpg`, name: `${id}.jpg`, size: 1, mtimeMs: 0 }));
  const done = (id: string, scores: Array<[string, number]>): ResultSummary => ({ id, status: 'done', stale: false, multiLabel: false, scores });
  const results: Array<ResultSummary | undefined> = [
    done('a.jpg', [['cat', 0.97]]), done('b.jpg', [['dog', 0.52]]), done('c.jpg', [['cat', 0.51]]), done('d.jpg', [['cat', 1]]), undefined,
  ];
  const names = buildNameIndex(entries);
  const prep = prepareView(names, results);

  it('counts the top confidence of the images of the view, per class on demand', () => {
    const all = confidenceHistogram(prep, names.order);
    expect(all.total).toBe(4);
    expect(all.counts[10]).toBe(2);
    expect(all.counts[19]).toBe(2);
    expect(all.max).toBe(2);
    const cats = confidenceHistogram(prep, names.order, prep.classIndex.get('cat')!);
    expect(cats.total).toBe(3);
    expect(cats.counts[10]).toBe(1);
  });

  it('turns a brushed range of bins into the confidence filter that keeps exactly those images', () => {
    const range = rangeOfBins({ first: 19, last: 10 });
    expect(range.confMin).toBe(0.5);
    expect(range.confMax).toBe(1);
    const view = buildView(names, results, { ...defaultFilter, ...rangeOfBins({ first: 10, last: 10 }) }, 'name', 0.4);
    expect(Array.from(view.order, (i) => entries[i].id)).toEqual(['b.jpg', 'c.jpg']);
    expect(binsOfRange(range.confMin, range.confMax)).toEqual({ first: 10, last: 19 });
    expect(binsOfRange(0, 1)).toBeNull();
  });
});
