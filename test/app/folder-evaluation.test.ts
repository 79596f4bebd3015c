import { describe, expect, it } from 'vitest';
import { mistakesByEntry, prepareFolderEvaluation, truthByEntry } from '../../app/folder-evaluation';
import { evaluateAt, mistakeIds, prepareEvaluation } from '../../app/metrics';
import { snapshotOf } from '../../app/result-table';
import type { ResultSummary } from '../../app/types';

type Scores = Array<[string, number]>;
const summary = (id: string, scores: Scores, multiLabel = false, extra: Partial<ResultSummary> = {}): ResultSummary => ({ id, status: 'done', stale: false, multiLabel, scores, ...extra });

/** What the page's preparation must equal: prepareEvaluation over each entry's whole summary. */
function reference(ids: string[], results: Array<ResultSummary | undefined>, truth: Map<string, string[]>, classes: string[]) {
  return prepareEvaluation(ids.map((id, i) => ({ id, result: results[i], truth: truth.get(id) })), classes);
}

// A folder with every case a folder holds: ties, failures, stale and missing results, images with
// no label, several labels (repeated, or unknown to the model), classes no result names, and
// entries past the last result.
function folder(multiLabel: boolean, seed: number) {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const names = ['owl', 'cat', 'dog', 'bird', 'eel'];
  const ids: string[] = [];
  const results: Array<ResultSummary | undefined> = [];
  const truth = new Map<string, string[]>();
  for (let i = 0; i < 400; i++) {
    const id = `f${i % 7}/img_${i}.jpg`;
    ids.push(id);
    const kind = rnd();
    // Stored best first, as main sends them; ties (two decimals) in either name order.
    const scores = names.slice(0, 1 + Math.floor(rnd() * names.length)).map((name) => [name, Math.round(rnd() * 4) / 4] as [string, number]);
    scores.sort((a, b) => b[1] - a[1]);
    if (i >= 380) results.push(undefined);
    else if (kind < 0.05) results.push(summary(id, [], multiLabel, { status: 'error', error: { code: 'bad_image', message: 'Not an image.' } }));
    else if (kind < 0.1) results.push(summary(id, scores, multiLabel, { stale: true }));
    else if (kind < 0.13) results.push(undefined);
    else results.push(summary(id, kind < 0.15 ? [] : scores, kind < 0.2 ? !multiLabel : multiLabel));
    const label = rnd();
    if (label < 0.1) continue;
    if (label < 0.15) truth.set(id, []);
    else if (label < 0.25) truth.set(id, [names[i % 5], names[(i + 1) % 5], names[i % 5]]);
    else if (label < 0.28) truth.set(id, ['zebra']);
    else truth.set(id, [names[i % 4]]);
  }
  return { ids, results, truth };
}

describe('prepareFolderEvaluation', () => {
  it('prepares what prepareEvaluation does from the same results, single- and multi-label', () => {
    for (const multiLabel of [false, true]) {
      for (const seed of [1, 2, 3]) {
        const { ids, results, truth } = folder(multiLabel, seed);
        const classes = ['cat', 'dog', 'yak'];
        const prepared = prepareFolderEvaluation(ids, snapshotOf(results), truthByEntry(ids, truth), classes);
        const { entries, ...rest } = prepared;
        expect(rest).toEqual(reference(ids, results, truth, classes));
        expect(prepared.multiLabel).toBe(multiLabel);
        expect(prepared.classes).toEqual(['cat', 'dog', 'yak', 'bird', 'eel', 'owl', 'zebra']);
        expect(Array.from(entries, (at) => ids[at])).toEqual(prepared.ids);
        for (const threshold of [0, 0.3, 0.5, 1]) {
          const m = evaluateAt(prepared, threshold);
          expect(m.errors + m.pending + m.unlabeled + m.evaluated).toBe(ids.length);
          const wrong = mistakeIds(prepared, threshold);
          const mask = mistakesByEntry(prepared, threshold, ids.length);
          expect(ids.filter((_, at) => mask[at] === 1)).toEqual(ids.filter((id) => wrong.has(id)));
          expect(m.evaluated - m.correct).toBe(wrong.size);
        }
      }
    }
  });

  it('reads a tie as byScore does, whichever of the tied classes is stored first', () => {
    const ids = ['cat/a.jpg', 'cat/b.jpg', 'dog/c.jpg'];
    const results = [
      summary(ids[0], [['cat', 0.45], ['dog', 0.45], ['owl', 0.1]]),
      summary(ids[1], [['dog', 0.45], ['cat', 0.45], ['owl', 0.1]]),
      summary(ids[2], [['dog', 0.45], ['cat', 0.45]]),
    ];
    const truth = truthByEntry(ids, new Map(ids.map((id) => [id, [id.split('/')[0]]])));
    const single = prepareFolderEvaluation(ids, snapshotOf(results), truth);
    expect(evaluateAt(single, 0.4)).toMatchObject({ evaluated: 3, correct: 2 });
    expect([...mistakeIds(single, 0.4)]).toEqual(['dog/c.jpg']);
    const multi = prepareFolderEvaluation(ids, snapshotOf(results.map((r) => ({ ...r, multiLabel: true }))), truth);
    expect(Array.from(multi.scoreClass.subarray(multi.scoreStart[1], multi.scoreStart[2]), (k) => multi.classes[k])).toEqual(['cat', 'dog', 'owl']);
  });

  it('counts every listed image once when the results table is shorter than the listing or empty', () => {
    const ids = ['a.jpg', 'b.jpg', 'c.jpg'];
    const truth = truthByEntry(ids, new Map([['a.jpg', ['cat']], ['c.jpg', ['dog']]]));
    const m = evaluateAt(prepareFolderEvaluation(ids, snapshotOf([summary('a.jpg', [['cat', 0.9]])]), truth), 0.5);
    expect(m).toMatchObject({ total: 3, evaluated: 1, correct: 1, pending: 2 });
    expect(evaluateAt(prepareFolderEvaluation(ids, snapshotOf([]), truthByEntry(ids, new Map())), 0.5)).toMatchObject({ total: 3, pending: 3, evaluated: 0 });
    expect(mistakesByEntry(prepareFolderEvaluation([], snapshotOf([]), []), 0.5, 0)).toEqual(new Uint8Array(0));
  });
});
