import { describe, expect, it } from 'vitest';
import { cellIds, evaluateAt, isCorrectAt, mistakeIds, prepareEvaluation, type EvalInput } from '../../app/metrics';
import { confusionCsv, evalReport, formatEvaluation } from '../../app/eval-report';
import { passingLabels } from '../../app/roboflow';
import { truthWithCorrections } from '../../app/corrections';

type Scores = Array<[string, number]>;
const single = (id: string, truth: string | null, scores: Scores): EvalInput => ({
  id,
  truth: truth === null ? null : [truth],
  result: { status: 'done', multiLabel: false, scores },
});

// Hand-computed example (threshold 0.5), classes cat, dog, bird; bird is never predicted.
const inputs: EvalInput[] = [
  single('c1.jpg', 'cat', [['cat', 0.9], ['dog', 0.1]]), // right
  single('c2.jpg', 'cat', [['dog', 0.8], ['cat', 0.2]]), // cat -> dog
  single('c3.jpg', 'cat', [['cat', 0.4], ['dog', 0.35], ['bird', 0.25]]), // below 0.5: no prediction
  single('d1.jpg', 'dog', [['dog', 0.7], ['cat', 0.3]]), // right
  single('d2.jpg', 'dog', [['cat', 0.6], ['dog', 0.4]]), // dog -> cat
  single('b1.jpg', 'bird', [['dog', 0.55], ['bird', 0.45]]), // bird -> dog
  { id: 'e1.jpg', truth: ['cat'], result: { status: 'error', multiLabel: false, scores: [] } },
  single('u1.jpg', null, [['cat', 0.99]]),
  { id: 'p1.jpg', truth: ['cat'], result: null },
  { id: 's1.jpg', truth: ['cat'], result: { status: 'done', stale: true, multiLabel: false, scores: [['cat', 1]] } },
];

describe('single-label metrics', () => {
  const prepared = prepareEvaluation(inputs, ['cat', 'dog', 'bird']);

  it('puts every image in exactly one bucket and never drops errors', () => {
    const m = evaluateAt(prepared, 0.5);
    expect({ total: m.total, evaluated: m.evaluated, errors: m.errors, unlabeled: m.unlabeled, pending: m.pending }).toEqual({
      total: 10, evaluated: 6, errors: 1, unlabeled: 1, pending: 2,
    });
    expect(m.evaluated + m.errors + m.unlabeled + m.pending).toBe(m.total);
  });

  it('matches the hand-computed numbers at 0.5', () => {
    const m = evaluateAt(prepared, 0.5);
    expect(m.classes).toEqual(['cat', 'dog', 'bird']);
    expect(m.correct).toBe(2);
    expect(m.accuracy).toBeCloseTo(1 / 3, 12);
    expect(m.noPrediction).toBe(1);
    expect(m.confusion.counts).toEqual([[1, 1, 0], [1, 1, 0], [0, 1, 0]]);
    expect(m.confusion.noPrediction).toEqual([1, 0, 0]);
    const [cat, dog, bird] = m.perClass;
    expect(cat).toMatchObject({ support: 3, predicted: 2, truePositives: 1, precision: 0.5 });
    expect(cat.recall).toBeCloseTo(1 / 3, 12);
    expect(cat.f1).toBeCloseTo(0.4, 12);
    expect(dog).toMatchObject({ support: 2, predicted: 3, truePositives: 1, recall: 0.5 });
    expect(dog.precision).toBeCloseTo(1 / 3, 12);
    expect(dog.f1).toBeCloseTo(0.4, 12);
    // Never predicted: precision undefined, recall 0, F1 0.
    expect(bird).toEqual({ support: 1, predicted: 0, truePositives: 0, precision: null, recall: 0, f1: 0 });
    expect(m.macro.precision).toBeCloseTo((0.5 + 1 / 3 + 0) / 3, 12);
    expect(m.macro.recall).toBeCloseTo((1 / 3 + 0.5 + 0) / 3, 12);
    expect(m.macro.f1).toBeCloseTo(0.8 / 3, 12);
    expect(m.weighted.precision).toBeCloseTo((3 * 0.5 + 2 / 3) / 6, 12);
    expect(m.weighted.recall).toBeCloseTo(m.accuracy as number, 12);
    expect(m.weighted.f1).toBeCloseTo((3 * 0.4 + 2 * 0.4) / 6, 12);
    expect(m.confusion.normalised[0]).toEqual([1 / 3, 1 / 3, 0]);
    expect(m.confusion.normalised[2]).toEqual([0, 1, 0]);
  });

  it('moves with the threshold: a lower one turns "no prediction" into a prediction', () => {
    const low = evaluateAt(prepared, 0.3);
    expect(low.correct).toBe(3);
    expect(low.accuracy).toBe(0.5);
    expect(low.noPrediction).toBe(0);
    expect(low.confusion.counts[0]).toEqual([2, 1, 0]);
    // A top score exactly at the threshold counts as predicted.
    expect(evaluateAt(prepared, 0.4).confusion.counts[0]).toEqual([2, 1, 0]);
    const high = evaluateAt(prepared, 0.95);
    expect(high.accuracy).toBe(0);
    expect(high.noPrediction).toBe(6);
    expect(high.confusion.noPrediction).toEqual([3, 2, 1]);
    expect(high.perClass.map((c) => c.precision)).toEqual([null, null, null]);
    expect(high.perClass.map((c) => c.recall)).toEqual([0, 0, 0]);
    expect(high.macro).toEqual({ precision: 0, recall: 0, f1: 0 });
  });

  it('lists exactly the images of a cell and the mistakes', () => {
    expect(cellIds(prepared, 0.5, 0, 1)).toEqual(['c2.jpg']);
    expect(cellIds(prepared, 0.5, 0, -1)).toEqual(['c3.jpg']);
    expect(cellIds(prepared, 0.5, 2, 1)).toEqual(['b1.jpg']);
    expect(cellIds(prepared, 0.5, 2, 2)).toEqual([]);
    expect([...mistakeIds(prepared, 0.5)].sort()).toEqual(['b1.jpg', 'c2.jpg', 'c3.jpg', 'd2.jpg']);
    expect(isCorrectAt(prepared, prepared.ids.indexOf('c3.jpg'), 0.3)).toBe(true);
  });

  it('keeps an empty class in the matrix without letting it move the averages', () => {
    const p = prepareEvaluation(inputs, ['cat', 'dog', 'bird', 'fish']);
    const m = evaluateAt(p, 0.5);
    expect(m.perClass[3]).toEqual({ support: 0, predicted: 0, truePositives: 0, precision: null, recall: null, f1: null });
    expect(m.confusion.counts[3]).toEqual([0, 0, 0, 0]);
    expect(m.confusion.normalised[3]).toEqual([0, 0, 0, 0]);
    expect(m.macro).toEqual(evaluateAt(prepared, 0.5).macro);
  });

  it('scores a predicted class no image truly has as precision 0, recall undefined', () => {
    const p = prepareEvaluation([
      single('a', 'cat', [['cat', 0.9], ['dog', 0.1]]),
      single('b', 'cat', [['dog', 0.9], ['cat', 0.1]]),
    ]);
    const m = evaluateAt(p, 0.5);
    expect(m.classes).toEqual(['cat', 'dog']);
    expect(m.perClass[1]).toEqual({ support: 0, predicted: 1, truePositives: 0, precision: 0, recall: null, f1: 0 });
    expect(m.macro).toEqual({ precision: 1, recall: 0.5, f1: 2 / 3 });
  });

  it('handles a single-image folder and a true label the model never outputs', () => {
    const one = evaluateAt(prepareEvaluation([single('x/only.png', 'cat', [['cat', 0.8], ['dog', 0.2]])]), 0.5);
    expect(one.accuracy).toBe(1);
    expect(one.perClass[0]).toMatchObject({ precision: 1, recall: 1, f1: 1, support: 1 });
    expect(one.confusion.counts).toEqual([[1, 0], [0, 0]]);
    const unknown = evaluateAt(prepareEvaluation([single('y.png', 'zebra', [['cat', 0.8]])]), 0.5);
    expect(unknown.classes).toEqual(['cat', 'zebra']);
    expect(unknown.confusion.counts).toEqual([[0, 0], [1, 0]]);
    expect(unknown.perClass[1]).toMatchObject({ support: 1, precision: null, recall: 0, f1: 0 });
  });

  it('reports nothing evaluated (not zero accuracy) when every image is unlabelled', () => {
    const m = evaluateAt(prepareEvaluation([single('a', null, [['cat', 1]]), single('b', null, [['dog', 1]])]), 0.5);
    expect(m).toMatchObject({ total: 2, evaluated: 0, unlabeled: 2, accuracy: null, macro: { precision: null, recall: null, f1: null } });
    const empty = evaluateAt(prepareEvaluation([]), 0.5);
    expect(empty).toMatchObject({ total: 0, evaluated: 0, accuracy: null, classes: [] });
  });

  it('treats an empty score list (server filtered everything) as no prediction at any threshold', () => {
    const m = evaluateAt(prepareEvaluation([single('a', 'cat', [])], ['cat']), 0);
    expect(m).toMatchObject({ evaluated: 1, correct: 0, noPrediction: 1 });
  });

  it('does not trust the score order it is given', () => {
    const m = evaluateAt(prepareEvaluation([single('a', 'dog', [['cat', 0.1], ['dog', 0.9]])]), 0.5);
    expect(m.accuracy).toBe(1);
  });
});

describe('multi-label metrics', () => {
  const multi = (id: string, truth: string[], scores: Scores): EvalInput => ({ id, truth, result: { status: 'done', multiLabel: true, scores } });
  const prepared = prepareEvaluation(
    [
      multi('1', ['a', 'b'], [['a', 0.9], ['b', 0.6], ['c', 0.1]]), // exact
      multi('2', ['a'], [['a', 0.7], ['c', 0.8], ['b', 0.2]]), // a right, c extra
      multi('3', ['c'], [['a', 0.3], ['b', 0.2], ['c', 0.4]]), // nothing predicted
      multi('4', ['b', 'c'], [['b', 0.95], ['c', 0.3], ['a', 0.1]]), // c missed
    ],
    ['a', 'b', 'c'],
  );

  it('matches the hand-computed per-class numbers and exact-match ratio', () => {
    const m = evaluateAt(prepared, 0.5);
    expect(m.multiLabel).toBe(true);
    expect(m.accuracy).toBe(0.25);
    expect(m.noPrediction).toBe(1);
    expect(m.perClass.map((c) => [c.support, c.predicted, c.truePositives, c.precision, c.recall, c.f1])).toEqual([
      [2, 2, 2, 1, 1, 1],
      [2, 2, 2, 1, 1, 1],
      [2, 1, 0, 0, 0, 0],
    ]);
    expect(m.confusion.counts).toEqual([[2, 1, 1], [1, 2, 0], [0, 1, 0]]);
    expect(m.confusion.noPrediction).toEqual([0, 0, 1]);
    expect(m.confusion.normalised[0]).toEqual([1, 0.5, 0.5]);
    expect(cellIds(prepared, 0.5, 0, 2)).toEqual(['2']);
    expect(cellIds(prepared, 0.5, 2, -1)).toEqual(['3']);
    expect([...mistakeIds(prepared, 0.5)]).toEqual(['2', '3', '4']);
  });

  it('at a low threshold predicts every class above it', () => {
    const m = evaluateAt(prepared, 0.25);
    // 1: {a,b} exact; 2: {c,a} no; 3: {c,a} no; 4: {b,c} exact.
    expect(m.correct).toBe(2);
    expect(m.perClass[2]).toMatchObject({ predicted: 3, truePositives: 2 });
  });
});

describe('consistency with passingLabels (the grid\'s labels) as a naive reference', () => {
  it('agrees on random single-label data at many thresholds, ties included', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const classes = ['a', 'b', 'c', 'd'];
    const data = Array.from({ length: 400 }, (_, i) => {
      const raw = classes.map((c) => [c, rnd()] as [string, number]);
      const sum = raw.reduce((s, [, v]) => s + v, 0);
      return single(`i${i}`, rnd() < 0.1 ? null : classes[Math.floor(rnd() * 4)], raw.map(([c, v]) => [c, v / sum]));
    });
    data.push(single('tie', 'b', [['c', 0.5], ['b', 0.5]]));
    const prepared = prepareEvaluation(data, classes);
    for (const threshold of [0, 0.2, 0.3, 0.35, 0.5, 1]) {
      const m = evaluateAt(prepared, threshold);
      let correct = 0;
      const counts = classes.map(() => classes.map(() => 0));
      for (const d of data) {
        if (!d.truth) continue;
        const [top] = passingLabels(d.result!.scores as Scores, false, threshold).classes;
        if (top === undefined) continue;
        counts[classes.indexOf(d.truth[0])][classes.indexOf(top)]++;
        if (top === d.truth[0]) correct++;
      }
      expect(m.correct).toBe(correct);
      expect(m.confusion.counts).toEqual(counts);
      expect(m.evaluated).toBe(data.filter((d) => d.truth).length);
    }
  });
});

describe('report', () => {
  const m = evaluateAt(prepareEvaluation(inputs, ['cat', 'dog', 'bird']), 0.5);

  it('has exactly the fields of the issue, in order', () => {
    const report = evalReport('pets/3', m);
    // v1's fields first, in their order, then what the console says and where the results come from.
    expect(Object.keys(report)).toEqual([
      'format', 'model', 'threshold', 'classes', 'accuracy', 'per_class', 'confusion', 'unlabeled', 'errors',
      'multi_label', 'counts', 'macro_avg', 'weighted_avg', 'folder', 'endpoint', 'created', 'class_thresholds',
    ]);
    expect(report).toMatchObject({
      format: 'classify-desk-eval/v2', model: 'pets/3', threshold: 0.5, classes: ['cat', 'dog', 'bird'],
      confusion: { labels: ['cat', 'dog', 'bird'], matrix: [[1, 1, 0], [1, 1, 0], [0, 1, 0]] }, unlabeled: 1, errors: 1,
    });
    expect(report.per_class.bird).toEqual({ precision: null, recall: 0, f1: 0, support: 1 });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('writes the matrix as CSV with a no-prediction column and quotes odd class names', () => {
    const p = prepareEvaluation([single('a', 'x,y', [['x,y', 0.9]]), single('b', 'x,y', [['x,y', 0.1]])]);
    expect(confusionCsv(evaluateAt(p, 0.5))).toBe('true\\predicted,"x,y",(no prediction)\r\n"x,y",1,1\r\n');
  });

  it('prints accuracy and the matrix for a terminal', () => {
    const text = formatEvaluation('pets/3', m);
    expect(text).toContain('accuracy: 33.3% (2 of 6 labelled images)');
    expect(text).toContain('unlabeled 1, errors 1, not classified 2');
    expect(text).toMatch(/^bird\s+0\s+1\s+0\s+0$/m);
  });
});

describe('corrections overlay', () => {
  it('lets a corrected label replace the ground truth and leaves flag-only corrections alone', () => {
    const truth = truthWithCorrections(
      new Map([['a', ['cat']], ['b', ['dog']]]),
      [
        { id: 'a', label: 'dog', reviewed: true, flagged: false, at: 't' },
        { id: 'b', label: null, reviewed: false, flagged: true, at: 't' },
        { id: 'c', label: 'cat', reviewed: false, flagged: false, at: 't' },
      ],
    );
    expect(Object.fromEntries(truth)).toEqual({ a: ['dog'], b: ['dog'], c: ['cat'] });
    const m = evaluateAt(prepareEvaluation(['a', 'b', 'c'].map((id) => single(id, null, [['cat', 0.9]])).map((x) => ({ ...x, truth: truth.get(x.id) }))), 0.5);
    expect(m).toMatchObject({ evaluated: 3, correct: 1 });
  });
});
