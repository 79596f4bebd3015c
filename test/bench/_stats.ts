// Order statistics for the benchmarks' timings (a file starting with _ is a helper, not a benchmark).

/** The p-th percentile (0-100) of `values` by the nearest-rank-below rule; 0 when there are none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
