import type { PreparedEvaluation } from './metrics';
import { thresholdsByIndex, type Threshold } from './roboflow';

// Accuracy and macro precision/recall/F1 as the default threshold goes 0 -> 1 in `steps` steps,
// and each class's precision-recall curve as its own threshold does, from one pass over the
// prepared evaluation (metrics.ts) plus O(classes x steps) sums, so a change redraws at 50,000
// images without a worker.
//
// Step k is the threshold k / steps. A score s is predicted at every step k with k / steps <= s
// (roboflow.ts `passes`), so each score adds 1 to a counter at its highest passing step and a
// suffix sum turns those into counts per step. A class with a per-class override keeps its
// override all along the sweep (the slider moves the default only): its counts are fixed.
// The numbers at step k equal metrics.ts `evaluateAt` at that default with the same overrides.

export const sweepSteps = 100;

export interface ClassCurve {
  name: string;
  /** Evaluated images whose truth includes the class. */
  support: number;
  /** Per step: precision / recall of the class at threshold k / steps (null when undefined). */
  precision: Array<number | null>;
  recall: Array<number | null>;
}

export interface ThresholdSweep {
  /** k / steps, k = 0..steps. */
  thresholds: number[];
  accuracy: Array<number | null>;
  /** Macro averages over classes with support, a missing precision counting as 0 (as metrics.ts). */
  precision: Array<number | null>;
  recall: Array<number | null>;
  f1: Array<number | null>;
  perClass: ClassCurve[];
}

/** The highest step k with k / steps <= s (-1 when none), exact at the step edges. */
export function topStep(s: number, steps = sweepSteps): number {
  if (!(s >= 0)) return -1;
  if (s >= 1) return steps;
  let k = Math.floor(s * steps);
  while (k + 1 <= steps && s >= (k + 1) / steps) k++;
  while (k >= 0 && s < k / steps) k--;
  return k;
}

export function thresholdSweep(p: PreparedEvaluation, threshold: Threshold = 0, steps = sweepSteps): ThresholdSweep {
  const c = p.classes.length;
  const n = p.ids.length;
  const w = steps + 2; // per class: counters for steps 0..steps, plus one spare for suffix sums
  const pred = new Float64Array(c * w);
  const tp = new Float64Array(c * w);
  const support = new Float64Array(c);
  // Classes with an override: fixed counts at it.
  const override = new Uint8Array(c);
  const thr = thresholdsByIndex(threshold, p.classes);
  if (typeof threshold !== 'number') for (let k = 0; k < c; k++) override[k] = Object.prototype.hasOwnProperty.call(threshold.perClass, p.classes[k]) ? 1 : 0;
  const fixedPred = new Float64Array(c);
  const fixedTp = new Float64Array(c);
  const acc = new Float64Array(steps + 2);
  const isTruth = new Uint8Array(c);

  for (let i = 0; i < n; i++) {
    const t0 = p.truthStart[i], t1 = p.truthStart[i + 1];
    for (let t = t0; t < t1; t++) { isTruth[p.truthClass[t]] = 1; support[p.truthClass[t]]++; }
    // Exact match holds for the steps in [lo, hi]: every truth class predicted, nothing else.
    let lo = 0, hi = steps, fixedOk = true, truthSeen = 0;
    for (let k = p.scoreStart[i]; k < p.scoreStart[i + 1]; k++) {
      const cls = p.scoreClass[k];
      const s = p.scoreValue[k];
      const top = topStep(s, steps);
      const right = isTruth[cls] === 1;
      if (right) truthSeen++;
      if (top >= 0) {
        pred[cls * w + top]++;
        if (right) tp[cls * w + top]++;
      }
      if (override[cls]) {
        const passing = s >= thr[cls];
        if (passing) { fixedPred[cls]++; if (right) fixedTp[cls]++; }
        if (passing !== right) fixedOk = false;
      } else if (right) hi = Math.min(hi, top);
      else lo = Math.max(lo, top + 1);
    }
    if (fixedOk && truthSeen === t1 - t0 && lo <= hi) { acc[lo]++; acc[hi + 1]--; }
    for (let t = t0; t < t1; t++) isTruth[p.truthClass[t]] = 0;
  }

  // Suffix sums: counts per step of the scores passing there.
  for (let cls = 0; cls < c; cls++) {
    for (let k = steps - 1; k >= 0; k--) {
      pred[cls * w + k] += pred[cls * w + k + 1];
      tp[cls * w + k] += tp[cls * w + k + 1];
    }
  }
  const ratio = (a: number, b: number) => (b === 0 ? null : a / b);
  const thresholds: number[] = [];
  const accuracy: Array<number | null> = [];
  const precision: Array<number | null> = [];
  const recall: Array<number | null> = [];
  const f1: Array<number | null> = [];
  let running = 0;
  let classesWithSupport = 0;
  for (let cls = 0; cls < c; cls++) if (support[cls] > 0) classesWithSupport++;
  for (let k = 0; k <= steps; k++) {
    thresholds.push(k / steps);
    running += acc[k];
    accuracy.push(ratio(running, n));
    let sp = 0, sr = 0, sf = 0;
    for (let cls = 0; cls < c; cls++) {
      if (support[cls] === 0) continue;
      const pc = override[cls] ? fixedPred[cls] : pred[cls * w + k];
      const tc = override[cls] ? fixedTp[cls] : tp[cls * w + k];
      sp += pc === 0 ? 0 : tc / pc;
      sr += tc / support[cls];
      sf += (2 * tc) / (pc + support[cls]);
    }
    precision.push(classesWithSupport ? sp / classesWithSupport : null);
    recall.push(classesWithSupport ? sr / classesWithSupport : null);
    f1.push(classesWithSupport ? sf / classesWithSupport : null);
  }
  const perClass: ClassCurve[] = p.classes.map((name, cls) => {
    const pr: Array<number | null> = [];
    const rc: Array<number | null> = [];
    for (let k = 0; k <= steps; k++) {
      pr.push(ratio(tp[cls * w + k], pred[cls * w + k]));
      rc.push(ratio(tp[cls * w + k], support[cls]));
    }
    return { name, support: support[cls], precision: pr, recall: rc };
  });
  return { thresholds, accuracy, precision, recall, f1, perClass };
}

/** The step nearest a threshold. */
export function stepOf(threshold: number, steps = sweepSteps): number {
  return Math.min(steps, Math.max(0, Math.round(threshold * steps)));
}
