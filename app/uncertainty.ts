import { thresholdFor, type Threshold } from './roboflow';

// How sure the model is about one image, for "least certain first" review: the margin between the
// two best scores and the normalised entropy of the scores. Both lie in 0..1.

export interface Uncertainty {
  /** Small = unsure. Single-label: top-1 − top-2 (top-2 is 0 with one score). */
  margin: number;
  /** Large = unsure. Single-label: entropy of the scores scaled to sum 1, divided by log(K). */
  entropy: number;
}

/** Binary entropy in bits (0..1), 0 at p = 0 or 1. */
function binaryEntropy(p: number): number {
  const q = Math.min(1, Math.max(0, p));
  if (q <= 0 || q >= 1) return 0;
  return -(q * Math.log2(q) + (1 - q) * Math.log2(1 - q));
}

/**
 * Margin and entropy of one result's scores (any order), or null without scores.
 * Multi-label: margin = min over classes of |score − the class's threshold|; entropy = mean binary entropy of the scores.
 */
export function uncertaintyOf(scores: ReadonlyArray<readonly [string, number]>, multiLabel: boolean, threshold: Threshold): Uncertainty | null {
  const k = scores.length;
  if (k === 0) return null;
  if (multiLabel) {
    let margin = Infinity;
    let sum = 0;
    for (const [cls, s] of scores) {
      margin = Math.min(margin, Math.abs(s - thresholdFor(threshold, cls)));
      sum += binaryEntropy(s);
    }
    return { margin, entropy: sum / k };
  }
  let first = -Infinity;
  let second = 0;
  let total = 0;
  for (const [, s] of scores) {
    if (s > first) {
      if (first !== -Infinity) second = Math.max(second, first);
      first = s;
    } else second = Math.max(second, s);
    total += Math.max(0, s);
  }
  let entropy = 0;
  if (k > 1 && total > 0) {
    let h = 0;
    for (const [, s] of scores) {
      const p = Math.max(0, s) / total;
      if (p > 0) h -= p * Math.log(p);
    }
    entropy = h / Math.log(k);
  }
  return { margin: Math.max(0, first - second), entropy };
}
