import { classList, judgedLabels, MultiLabelVote, mistakeIndexes, type PreparedEvaluation } from './metrics';
import type { ResultRows, ResultSnapshot } from './result-table';
import type { Threshold } from './roboflow';

// A folder's evaluation prepared straight from the page's results table. It was prepared from one
// input object per image, each with its result as a summary (every score, as [name, confidence]
// pairs, for a multi-label folder): at 250,000 images of a 10-class multi-label model that was one
// task of 1.1 s the first time (test/bench/metrics.ts), and the summaries stayed in the table's
// memory. Here the table's columns are read as they are; the figures are prepareEvaluation's over
// the same results (test/app/folder-evaluation.test.ts holds the two to each other). The true
// labels come lined up with the listing too (truthByEntry, once per change of the truth or the
// listing): looking 250,000 ids up in a Map took 60-90 ms of every preparation, and a running job
// has the page prepare again about once a second.

/** Each listed image's true labels (undefined for none), by listing index. */
export type TruthByEntry = ReadonlyArray<readonly string[] | undefined>;

/** A folder's evaluation, with each evaluated image's index in the listing. */
export interface FolderEvaluation extends PreparedEvaluation {
  /** Per evaluated image (index i of `ids` and the score arrays), its index in the listing. */
  entries: Int32Array;
}

/** `truth`'s labels for `ids[i]` at index i. */
export function truthByEntry(ids: readonly string[], truth: ReadonlyMap<string, readonly string[]>): TruthByEntry {
  const out = new Array<readonly string[] | undefined>(ids.length);
  if (truth.size === 0) return out.fill(undefined);
  for (let i = 0; i < ids.length; i++) out[i] = truth.get(ids[i]);
  return out;
}

/** Per listing index (`length` of them), 1 where the image is evaluated and judged wrong at the
 *  threshold: what "mistakes first" sorts by. */
export function mistakesByEntry(p: FolderEvaluation, threshold: Threshold, length: number): Uint8Array {
  const mask = new Uint8Array(length);
  for (const i of mistakeIndexes(p, threshold)) if (p.entries[i] < length) mask[p.entries[i]] = 1;
  return mask;
}

/**
 * prepareEvaluation over `ids[i]`'s result in `results` (its index in the listing) and its true
 * labels `truth[i]`: the same buckets (errors, pending, unlabeled, evaluated), the same vote on
 * multi-label, the same class list (`classes`, then any other class met, sorted) and scores in
 * byScore's order (best first, ties by class name). Single-label keeps each image's best score,
 * and meets only the classes of those, as when prepareEvaluation is handed best scores alone
 * (main's evaluation); the page's `classes` name every class of its results anyway.
 */
export function prepareFolderEvaluation(
  ids: readonly string[],
  results: ResultSnapshot,
  truth: TruthByEntry,
  classes: readonly string[] = [],
): FolderEvaluation {
  const { rows, rowAt } = results;
  const kept: number[] = [];
  const keptTruth: Array<readonly string[]> = [];
  let errors = 0, pending = 0, unlabeled = 0;
  const vote = new MultiLabelVote();
  for (let i = 0; i < ids.length; i++) {
    const row = i < rowAt.length ? rowAt[i] : -1;
    if (row >= 0 && rows.isError(row)) { errors++; continue; }
    if (row < 0 || rows.isStale(row)) { pending++; continue; }
    const labels = judgedLabels(truth[i]);
    if (labels.length === 0) { unlabeled++; continue; }
    vote.judge(rows.isMultiLabel(row));
    kept.push(i);
    keptTruth.push(labels);
  }
  const multiLabel = vote.multiLabel;
  const n = kept.length;
  const { start, scoreClass: rowClass, scoreConf: rowConf } = rows;

  // The classes: those given, then every other one a judged score (single-label: the best one) or
  // label names, sorted.
  const tableClasses = rows.classes;
  const met = new Uint8Array(tableClasses.length);
  let scoreCount = 0, truthCount = 0;
  for (let j = 0; j < n; j++) {
    const row = rowAt[kept[j]];
    const from = start[row];
    const to = start[row + 1];
    if (multiLabel) {
      for (let at = from; at < to; at++) met[rowClass[at]] = 1;
      scoreCount += to - from;
      truthCount += keptTruth[j].length;
    } else {
      if (to > from) met[rowClass[bestAt(rows, from, to)]] = 1;
      scoreCount += Math.min(1, to - from);
      truthCount += 1;
    }
  }
  const known = new Set(classes);
  const extra = new Set<string>();
  for (let k = 0; k < tableClasses.length; k++) if (met[k] && !known.has(tableClasses[k])) extra.add(tableClasses[k]);
  for (const labels of keptTruth) for (const name of labels) if (!known.has(name)) extra.add(name);
  const { allClasses, index } = classList(classes, extra);
  const classAt = Int32Array.from(tableClasses, (name) => index.get(name) ?? -1);

  const scoreStart = new Int32Array(n + 1);
  const truthStart = new Int32Array(n + 1);
  const scoreClass = new Int32Array(scoreCount);
  const scoreValue = new Float64Array(scoreCount);
  const truthClass = new Int32Array(truthCount);
  let s = 0, t = 0;
  for (let j = 0; j < n; j++) {
    const row = rowAt[kept[j]];
    const from = start[row];
    const to = start[row + 1];
    scoreStart[j] = s;
    truthStart[j] = t;
    if (multiLabel) {
      for (let at = from; at < to; at++, s++) {
        scoreClass[s] = classAt[rowClass[at]];
        scoreValue[s] = rowConf[at];
      }
      sortByScore(scoreClass, scoreValue, scoreStart[j], s, allClasses);
    } else if (to > from) {
      const best = bestAt(rows, from, to);
      scoreClass[s] = classAt[rowClass[best]];
      scoreValue[s++] = rowConf[best];
    }
    const labels = keptTruth[j];
    // Single-label ground truth has one label; if several arrive, the last one (latest source) wins.
    if (multiLabel) for (const name of labels) truthClass[t++] = index.get(name)!;
    else truthClass[t++] = index.get(labels[labels.length - 1])!;
  }
  scoreStart[n] = s;
  truthStart[n] = t;
  return {
    classes: allClasses, multiLabel, total: ids.length, errors, pending, unlabeled,
    ids: kept.map((i) => ids[i]), scoreStart, scoreClass, scoreValue, truthStart, truthClass,
    entries: Int32Array.from(kept),
  };
}

/** The row's best score as byScore orders them: rows hold their scores best first (as the view
 *  reads them too), so among the first ones, tied with it, the one whose class name comes first. */
function bestAt(rows: ResultRows, from: number, to: number): number {
  const { scoreClass, scoreConf } = rows;
  const names = rows.classes;
  let best = from;
  for (let at = from + 1; at < to && scoreConf[at] === scoreConf[from]; at++) {
    if (names[scoreClass[at]] < names[scoreClass[best]]) best = at;
  }
  return best;
}

/** Sorts scores[from..to) as byScore does (highest confidence first, ties by class name). Rows
 *  hold their scores best first already, so an insertion sort passes over them once. */
function sortByScore(cls: Int32Array, conf: Float64Array, from: number, to: number, names: readonly string[]): void {
  for (let at = from + 1; at < to; at++) {
    const c = cls[at];
    const v = conf[at];
    let k = at;
    while (k > from && (conf[k - 1] < v || (conf[k - 1] === v && names[cls[k - 1]] > names[c]))) {
      cls[k] = cls[k - 1];
      conf[k] = conf[k - 1];
      k--;
    }
    cls[k] = c;
    conf[k] = v;
  }
}
