import type { ResultSummary } from './types';
import type { ResultList } from './result-table';
import { passes, type Threshold } from './roboflow';
import { labelsAt } from './view-filter';

// Model comparison: where two models' predictions for the same images part ways at the threshold.
// What a model "says" is the label set the grid shows: single-label, the top class when it reaches
// the threshold (else nothing); multi-label, every class at or above it. Two models disagree on an
// image when both classified it (done, file unchanged since) and those sets differ; an image one of
// them has not classified yet, or failed on, is not a disagreement (there is nothing to compare).

type Scored = Pick<ResultSummary, 'status' | 'stale' | 'multiLabel' | 'scores'>;

/** The class names a result gives at `threshold` (sorted); null when it has none to compare. */
export function verdictAt(result: Scored | null | undefined, threshold: Threshold): string[] | null {
  if (!result || result.status !== 'done' || result.stale) return null;
  const labels = labelsAt(result, threshold);
  return labels.below ? [] : labels.classes.map(([name]) => name).sort();
}

/** True when both results can be compared and their labels at `threshold` differ. */
export function modelsDisagree(a: Scored | null | undefined, b: Scored | null | undefined, threshold: Threshold): boolean {
  if (!a || !b || a.status !== 'done' || b.status !== 'done' || a.stale || b.stale) return false;
  if (!a.multiLabel && !b.multiLabel) {
    // The common case without allocating: the top class, or none below the threshold.
    const ta = a.scores[0];
    const tb = b.scores[0];
    const la = ta && passes(ta[1], threshold, ta[0]) ? ta[0] : null;
    const lb = tb && passes(tb[1], threshold, tb[0]) ? tb[0] : null;
    return la !== lb;
  }
  const va = verdictAt(a, threshold)!;
  const vb = verdictAt(b, threshold)!;
  return va.length !== vb.length || va.some((name, i) => name !== vb[i]);
}

/** Indices where the models disagree; `a[i]` and `b[i]` are the two results for entry i. */
export function disagreements(
  a: ResultList<Scored | null>,
  b: ResultList<Scored | null>,
  threshold: Threshold,
): Set<number> {
  const out = new Set<number>();
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (modelsDisagree(a.at(i), b.at(i), threshold)) out.add(i);
  return out;
}

/** How many images both models classified (the denominator of "disagree on k of n"). */
export function comparable(a: ResultList<Scored | null>, b: ResultList<Scored | null>): number {
  let count = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.at(i);
    const y = b.at(i);
    if (x && y && x.status === 'done' && y.status === 'done' && !x.stale && !y.stale) count++;
  }
  return count;
}

/** Two allow-lists of indices combined (null keeps everything): only what both keep. */
export function intersectAllowed(
  a: ReadonlySet<number> | null | undefined,
  b: ReadonlySet<number> | null | undefined,
): ReadonlySet<number> | null {
  if (!a) return b ?? null;
  if (!b) return a;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  const out = new Set<number>();
  for (const i of small) if (large.has(i)) out.add(i);
  return out;
}
