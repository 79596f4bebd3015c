import type { ResultStatus } from './types';
import { baseThreshold, byScore, thresholdsByIndex, type Threshold } from './roboflow';

// Evaluation metrics over classified images with known true labels. The work splits in two so the
// numbers can follow a threshold slider live: `prepareEvaluation` runs once per change of results or
// ground truth (indexes classes, sorts every image's scores), `evaluateAt` is one pass over flat
// typed arrays per threshold.
//
// How images count (every image of the input lands in exactly one bucket, none is dropped):
//  - `errors`: the image's result is an error (whatever its label), so no prediction exists to judge;
//  - `pending`: no result yet, or a stale one (the file changed since it was classified);
//  - `unlabeled`: a result exists but the image has no true label;
//  - `evaluated`: everything else; only these enter accuracy, per-class metrics and the matrix.
// Thresholds follow roboflow.ts `passes`: each class is held to its own (per-class override, else the
// default); `EvaluationMetrics.threshold` is the default.
// Single-label: the prediction is the top class when its confidence is >= the threshold. Below it the
// image has "no prediction": it stays evaluated and counts as wrong (in the accuracy denominator), as a
// miss (false negative) of its true class and as a false positive of no class. In the confusion
// matrix it fills no class cell but `noPrediction[row]`, so a row sums to support - noPrediction[row].
// Multi-label: the predicted set is every class scoring >= the threshold (possibly empty); accuracy is
// the exact-match ratio; the matrix counts co-occurrences (row = a true class, column = a predicted
// class of the same image), and `noPrediction[row]` counts images with an empty predicted set.
// A ratio whose denominator is 0 is null (undefined), never a made-up 0 or 1.

/** What metrics need to know about one image. `truth` null or empty = no ground truth. */
export interface EvalInput {
  id: string;
  /** null/undefined = not classified yet. */
  result?: {
    status: ResultStatus;
    stale?: boolean;
    multiLabel: boolean;
    scores: ReadonlyArray<readonly [string, number]>;
  } | null;
  truth?: readonly string[] | null;
}

/** How prepareEvaluation decides whether it judges a folder as multi-label: most of the images it
 *  judges (done, current, labelled) are. Main's evaluation, which hands it only the best score of
 *  single-label images, and the page's (folder-evaluation.ts) take the same vote. */
export class MultiLabelVote {
  #balance = 0;
  /** Counts one judged image. */
  judge(multiLabel: boolean): void {
    this.#balance += multiLabel ? 1 : -1;
  }
  get multiLabel(): boolean {
    return this.#balance > 0;
  }
}

export interface PreparedEvaluation {
  classes: string[];
  multiLabel: boolean;
  total: number;
  errors: number;
  pending: number;
  unlabeled: number;
  /** Ids of the evaluated images, in input order; index i matches the arrays below. */
  ids: string[];
  /** Per evaluated image: offsets into the flat score arrays (length n + 1), sorted desc within. */
  scoreStart: Int32Array;
  scoreClass: Int32Array;
  scoreValue: Float64Array;
  /** Per evaluated image: offsets into truthClass (length n + 1); single-label has one each. */
  truthStart: Int32Array;
  truthClass: Int32Array;
}

export interface ClassMetrics {
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Evaluated images whose true labels include the class. */
  support: number;
  /** Evaluated images predicted as the class. */
  predicted: number;
  truePositives: number;
}

export interface AverageMetrics {
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

export interface EvaluationMetrics {
  /** The default threshold. */
  threshold: number;
  /** Per-class overrides of the default ({} when none). */
  classThresholds: Record<string, number>;
  multiLabel: boolean;
  classes: string[];
  total: number;
  evaluated: number;
  errors: number;
  pending: number;
  unlabeled: number;
  /** Evaluated images judged right (single-label: top class; multi-label: exact set). */
  correct: number;
  /** correct / evaluated (multi-label: the exact-match ratio); null when nothing was evaluated. */
  accuracy: number | null;
  /** Evaluated images with no class at or above the threshold. */
  noPrediction: number;
  perClass: ClassMetrics[];
  /** Unweighted mean over classes with support > 0; a null precision there counts as 0. */
  macro: AverageMetrics;
  /** Support-weighted mean over the same classes. */
  weighted: AverageMetrics;
  confusion: {
    /** counts[trueIndex][predictedIndex], indexes into `classes`. */
    counts: number[][];
    /** counts divided by the row's support (0 for an empty row), so the diagonal is the recall. */
    normalised: number[][];
    /** Per true class: images with no prediction at this threshold. */
    noPrediction: number[];
  };
}

/** An image's true labels as they are judged: repeated labels count once (a single label, nearly
 *  every image, needs no Set for that); none for no truth. */
export function judgedLabels(given: readonly string[] | null | undefined): readonly string[] {
  return !given ? [] : given.length === 1 ? given : [...new Set(given)];
}

/** An evaluation's classes: `classes` first, then the others it met (`extra`, none of `classes`),
 *  sorted; and each one's index. */
export function classList(classes: readonly string[], extra: Iterable<string>): { allClasses: string[]; index: Map<string, number> } {
  const allClasses = [...classes, ...[...extra].sort()];
  return { allClasses, index: new Map(allClasses.map((name, i) => [name, i] as const)) };
}

/**
 * Indexes results and true labels once. The classes are `classes` first, then any other class seen in
 * scores or true labels, sorted, so a class the model never predicts still gets its row.
 */
export function prepareEvaluation(inputs: Iterable<EvalInput>, classes: readonly string[] = []): PreparedEvaluation {
  const kept: Array<{ id: string; scores: ReadonlyArray<readonly [string, number]>; truth: readonly string[] }> = [];
  let total = 0, errors = 0, pending = 0, unlabeled = 0;
  const vote = new MultiLabelVote();
  const extra = new Set<string>();
  const known = new Set(classes);
  for (const input of inputs) {
    total++;
    const result = input.result;
    if (result && result.status === 'error') { errors++; continue; }
    if (!result || result.stale) { pending++; continue; }
    const truth = judgedLabels(input.truth);
    if (truth.length === 0) { unlabeled++; continue; }
    vote.judge(result.multiLabel);
    // Plain indexed loops: this runs over every score of every image (5M for 50k x 100 classes).
    const scores = result.scores;
    for (let k = 0; k < scores.length; k++) {
      const name = scores[k][0];
      if (!known.has(name)) { known.add(name); extra.add(name); }
    }
    for (const name of truth) if (!known.has(name)) { known.add(name); extra.add(name); }
    kept.push({ id: input.id, scores: result.scores, truth });
  }
  const { allClasses, index } = classList(classes, extra);
  const multiLabel = vote.multiLabel;
  const n = kept.length;
  const scoreStart = new Int32Array(n + 1);
  const truthStart = new Int32Array(n + 1);
  let scoreCount = 0, truthCount = 0;
  for (let i = 0; i < n; i++) {
    scoreCount += multiLabel ? kept[i].scores.length : Math.min(1, kept[i].scores.length);
    truthCount += multiLabel ? kept[i].truth.length : 1;
  }
  const scoreClass = new Int32Array(scoreCount);
  const scoreValue = new Float64Array(scoreCount);
  const truthClass = new Int32Array(truthCount);
  let s = 0, t = 0;
  for (let i = 0; i < n; i++) {
    const { scores, truth } = kept[i];
    scoreStart[i] = s;
    truthStart[i] = t;
    // Single-label needs only the top class: a linear scan, not a sort (100 classes x 50k images).
    const sorted = multiLabel ? [...scores].sort(byScore) : topOf(scores);
    for (let k = 0; k < sorted.length; k++, s++) {
      scoreClass[s] = index.get(sorted[k][0]) as number;
      scoreValue[s] = sorted[k][1];
    }
    // Single-label ground truth has one label; if several arrive, the last one (latest source) wins.
    const labels = multiLabel ? truth : truth.slice(-1);
    for (const name of labels) truthClass[t++] = index.get(name) as number;
  }
  scoreStart[n] = s;
  truthStart[n] = t;
  return {
    classes: allClasses, multiLabel, total, errors, pending, unlabeled,
    ids: kept.map((k) => k.id), scoreStart, scoreClass, scoreValue, truthStart, truthClass,
  };
}

type Score = readonly [string, number];

// The top class by byScore's order (ties by class name, as passingLabels), without sorting every score.
function topOf(scores: ReadonlyArray<Score>): Score[] {
  if (scores.length === 0) return [];
  let best = scores[0];
  for (let k = 1; k < scores.length; k++) {
    const score = scores[k];
    if (score[1] > best[1] || (score[1] === best[1] && score[0] < best[0])) best = score;
  }
  return [best];
}

// The threshold rule (roboflow.ts `passes`) over class indexes: `thr[k]` is class k's threshold.
function thresholdsOf(p: PreparedEvaluation, threshold: Threshold): Float64Array {
  return thresholdsByIndex(threshold, p.classes);
}

/** Scores are sorted descending: past the first one below every class's threshold none passes. */
function passEnd(p: PreparedEvaluation, i: number, lowest: number): number {
  let k = p.scoreStart[i];
  const end = p.scoreStart[i + 1];
  while (k < end && p.scoreValue[k] >= lowest) k++;
  return k;
}

function lowestOf(thr: Float64Array): number {
  let low = Infinity;
  for (let k = 0; k < thr.length; k++) if (thr[k] < low) low = thr[k];
  return low;
}

/** How many scores of image i pass their class's threshold: the predicted classes. */
function predictedCount(p: PreparedEvaluation, i: number, thr: Float64Array, lowest = lowestOf(thr)): number {
  let count = 0;
  const end = passEnd(p, i, lowest);
  for (let k = p.scoreStart[i]; k < end; k++) if (p.scoreValue[k] >= thr[p.scoreClass[k]]) count++;
  return count;
}

function includesTruth(p: PreparedEvaluation, i: number, cls: number): boolean {
  for (let t = p.truthStart[i]; t < p.truthStart[i + 1]; t++) if (p.truthClass[t] === cls) return true;
  return false;
}

/** True when image i (an index into `prepared.ids`) is judged right at the threshold. */
export function isCorrectAt(p: PreparedEvaluation, i: number, threshold: Threshold): boolean {
  return correctWith(p, i, thresholdsOf(p, threshold));
}

function correctWith(p: PreparedEvaluation, i: number, thr: Float64Array, lowest = lowestOf(thr)): boolean {
  const count = predictedCount(p, i, thr, lowest);
  const truthCount = p.truthStart[i + 1] - p.truthStart[i];
  if (count !== truthCount) return false;
  for (let k = p.scoreStart[i]; k < p.scoreStart[i + 1]; k++) {
    if (p.scoreValue[k] >= thr[p.scoreClass[k]] && !includesTruth(p, i, p.scoreClass[k])) return false;
  }
  return true;
}

/** Metrics, matrix and buckets at one threshold; a single pass over the prepared arrays. */
export function evaluateAt(p: PreparedEvaluation, threshold: Threshold): EvaluationMetrics {
  const c = p.classes.length;
  const thr = thresholdsOf(p, threshold);
  const lowest = lowestOf(thr);
  const n = p.ids.length;
  const counts = new Int32Array(c * c);
  const none = new Int32Array(c);
  const support = new Int32Array(c);
  const predicted = new Int32Array(c);
  const tp = new Int32Array(c);
  let correct = 0, noPrediction = 0;
  for (let i = 0; i < n; i++) {
    const t0 = p.truthStart[i], t1 = p.truthStart[i + 1];
    const s0 = p.scoreStart[i], s1 = passEnd(p, i, lowest);
    let count = 0;
    let hits = 0;
    for (let k = s0; k < s1; k++) {
      const cls = p.scoreClass[k];
      if (p.scoreValue[k] < thr[cls]) continue;
      count++;
      predicted[cls]++;
      if (includesTruth(p, i, cls)) { tp[cls]++; hits++; }
    }
    if (count === 0) noPrediction++;
    if (hits === count && count === t1 - t0) correct++;
    for (let t = t0; t < t1; t++) {
      const row = p.truthClass[t];
      support[row]++;
      if (count === 0) none[row]++;
      for (let k = s0; k < s1; k++) if (p.scoreValue[k] >= thr[p.scoreClass[k]]) counts[row * c + p.scoreClass[k]]++;
    }
  }
  const perClass: ClassMetrics[] = [];
  for (let k = 0; k < c; k++) {
    const fp = predicted[k] - tp[k];
    const fn = support[k] - tp[k];
    perClass.push({
      precision: ratio(tp[k], predicted[k]),
      recall: ratio(tp[k], support[k]),
      f1: ratio(2 * tp[k], 2 * tp[k] + fp + fn),
      support: support[k],
      predicted: predicted[k],
      truePositives: tp[k],
    });
  }
  const rows: number[][] = [];
  const normalised: number[][] = [];
  for (let r = 0; r < c; r++) {
    const row = Array.from(counts.subarray(r * c, (r + 1) * c));
    rows.push(row);
    normalised.push(row.map((v) => (support[r] ? v / support[r] : 0)));
  }
  return {
    threshold: baseThreshold(threshold),
    classThresholds: typeof threshold === 'number' ? {} : { ...threshold.perClass },
    multiLabel: p.multiLabel, classes: p.classes,
    total: p.total, evaluated: n, errors: p.errors, pending: p.pending, unlabeled: p.unlabeled,
    correct, accuracy: ratio(correct, n), noPrediction,
    perClass,
    macro: average(perClass, false),
    weighted: average(perClass, true),
    confusion: { counts: rows, normalised, noPrediction: Array.from(none) },
  };
}

function ratio(num: number, den: number): number | null {
  return den === 0 ? null : num / den;
}

function average(perClass: ClassMetrics[], weighted: boolean): AverageMetrics {
  let weight = 0, precision = 0, recall = 0, f1 = 0;
  for (const m of perClass) {
    if (m.support === 0) continue;
    const w = weighted ? m.support : 1;
    weight += w;
    // A class that exists but is never predicted has an undefined precision; for the average it is a
    // failure, so it counts as 0 (as scikit-learn's zero_division=0 does).
    precision += w * (m.precision ?? 0);
    recall += w * (m.recall ?? 0);
    f1 += w * (m.f1 ?? 0);
  }
  if (weight === 0) return { precision: null, recall: null, f1: null };
  return { precision: precision / weight, recall: recall / weight, f1: f1 / weight };
}

/**
 * Ids of the evaluated images in one confusion cell at the threshold: true class `row`, predicted
 * class `column`, or column -1 for "no prediction". Matches the counts of `evaluateAt` exactly.
 */
export function cellIds(p: PreparedEvaluation, threshold: Threshold, row: number, column: number): string[] {
  const thr = thresholdsOf(p, threshold);
  const out: string[] = [];
  for (let i = 0; i < p.ids.length; i++) {
    if (!includesTruth(p, i, row)) continue;
    if (column === -1 ? predictedCount(p, i, thr) === 0 : hasPredicted(p, i, thr, column)) out.push(p.ids[i]);
  }
  return out;
}

function hasPredicted(p: PreparedEvaluation, i: number, thr: Float64Array, cls: number): boolean {
  for (let k = p.scoreStart[i]; k < p.scoreStart[i + 1]; k++) if (p.scoreClass[k] === cls && p.scoreValue[k] >= thr[cls]) return true;
  return false;
}

/** Ids of the evaluated images judged wrong at the threshold (for "mistakes first"). */
export function mistakeIds(p: PreparedEvaluation, threshold: Threshold): Set<string> {
  const out = new Set<string>();
  for (const i of mistakeIndexes(p, threshold)) out.add(p.ids[i]);
  return out;
}

/** The same as indexes into `p.ids` (and the prepared arrays), in their order. */
export function mistakeIndexes(p: PreparedEvaluation, threshold: Threshold): number[] {
  const thr = thresholdsOf(p, threshold);
  const lowest = lowestOf(thr);
  const out: number[] = [];
  for (let i = 0; i < p.ids.length; i++) if (!correctWith(p, i, thr, lowest)) out.push(i);
  return out;
}
