import type { PreparedView, View } from './view-filter';

// The distribution of top confidence over the images of the current view, for the sidebar's
// histogram; a brushed range of bins becomes the view filter's confidence range (confMin/confMax),
// so brushing filters the grid exactly as the confidence range does.

export const histogramBins = 20;

export interface ConfidenceHistogram {
  /** counts[b]: images whose top confidence lies in [b / bins, (b + 1) / bins) (the last bin holds 1). */
  counts: Int32Array;
  /** The largest count (0 when empty). */
  max: number;
  /** Images counted. */
  total: number;
}

/** The bin a top confidence is counted in (0..1; 1 and above in the last bin). */
export function confidenceBin(confidence: number, bins = histogramBins): number {
  return confidence >= 1 ? bins - 1 : (confidence * bins) | 0;
}

/** The bin of any confidence bound: below 0 in the first bin, as confidenceBin above. */
export function binOf(confidence: number, bins = histogramBins): number {
  return confidence <= 0 ? 0 : confidenceBin(confidence, bins);
}

/**
 * Counts the top confidence of the entries in `order` (entry indices), one pass. `classIndex` >= 0
 * keeps only images whose top class is that class (per class on demand); -1 counts every image.
 * Images without a confidence (not classified, failed) are not counted.
 */
export function confidenceHistogram(prep: Pick<PreparedView, 'conf' | 'top'>, order: ArrayLike<number>, classIndex = -1, bins = histogramBins): ConfidenceHistogram {
  const counts = new Int32Array(bins);
  const { conf, top } = prep;
  let total = 0;
  for (let j = 0; j < order.length; j++) {
    const i = order[j];
    const c = conf[i];
    if (c < 0 || (classIndex >= 0 && top[i] !== classIndex)) continue;
    counts[confidenceBin(c, bins)]++;
    total++;
  }
  return summed(counts, total);
}

function summed(counts: Int32Array, total: number): ConfidenceHistogram {
  let max = 0;
  for (let b = 0; b < counts.length; b++) if (counts[b] > max) max = counts[b];
  return { counts, max, total };
}

/** confidenceHistogram(prep, view.order, classIndex) from the counts the view's filter pass kept,
 *  without another pass over the images (a view without them is counted). */
export function histogramOfView(prep: Pick<PreparedView, 'conf' | 'top'>, view: View, classIndex = -1): ConfidenceHistogram {
  if (!view.bins || (classIndex + 1) * histogramBins > view.bins.byClass.length) return confidenceHistogram(prep, view.order, classIndex);
  const from = classIndex >= 0 ? classIndex * histogramBins : 0;
  const counts = (classIndex >= 0 ? view.bins.byClass : view.bins.all).slice(from, from + histogramBins);
  let total = 0;
  for (let b = 0; b < histogramBins; b++) total += counts[b];
  return summed(counts, total);
}

/** A brushed range of bins, first..last inclusive. */
export interface BinRange {
  first: number;
  last: number;
}

/** The view filter's confidence range for a brushed range of bins (inclusive ends, so the upper
 *  edge stops just short of the next bin). */
export function rangeOfBins(range: BinRange, bins = histogramBins): { confMin: number; confMax: number } {
  const first = Math.max(0, Math.min(range.first, range.last));
  const last = Math.min(bins - 1, Math.max(range.first, range.last));
  return { confMin: first / bins, confMax: last === bins - 1 ? 1 : (last + 1) / bins - 1e-9 };
}

/** The bins a filter's confidence range covers, or null for the whole 0..1 range (nothing brushed). */
export function binsOfRange(confMin: number, confMax: number, bins = histogramBins): BinRange | null {
  if (confMin <= 0 && confMax >= 1) return null;
  return { first: binOf(confMin, bins), last: binOf(Math.max(confMin, confMax), bins) };
}
