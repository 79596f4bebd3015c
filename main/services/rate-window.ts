// The adaptive concurrency limit of the job queue: additive increase, multiplicative decrease.
// A 429 halves the window, but only once per "generation": answers to requests that were already
// in flight before the last decrease say nothing new, so a burst of 429s halves once, not N times.
// Each full window's worth of successes without a 429 then widens it by one, back up to the max.

export interface RateWindow {
  /** How many requests may be in flight now. */
  readonly limit: number;
  readonly max: number;
  /** Call when a request is sent; returns the generation to hand back on its answer. */
  sent(): number;
  success(generation: number): void;
  rateLimited(generation: number): void;
}

export function createRateWindow(max: number): RateWindow {
  const ceiling = Math.max(1, Math.floor(max));
  let limit = ceiling;
  let generation = 0;
  let credit = 0;
  return {
    get limit() {
      return limit;
    },
    max: ceiling,
    sent: () => generation,
    success(gen) {
      if (gen !== generation || limit >= ceiling) return;
      credit++;
      if (credit >= limit) {
        credit = 0;
        limit++;
      }
    },
    rateLimited(gen) {
      if (gen !== generation) return;
      generation++;
      credit = 0;
      limit = Math.max(1, Math.floor(limit / 2));
    },
  };
}
