// Retry delays: exponential backoff with full jitter (a uniformly random wait up to the
// exponential cap), so many images failing together do not come back together. A server's
// Retry-After is a floor: we never come back earlier than it asked.

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  random?: () => number;
}

/** The wait before retry number `attempt` (1 = first retry). */
export function backoffDelay(attempt: number, retryAfterMs: number | undefined, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 500;
  const cap = opts.capMs ?? 30_000;
  const random = opts.random ?? Math.random;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  const jitter = random() * ceiling;
  if (retryAfterMs !== undefined && retryAfterMs >= 0) {
    // Honour the server, plus a little spread so a burst of 429s does not return in lockstep.
    return Math.min(Math.max(retryAfterMs, 0), 10 * 60_000) + random() * Math.min(base, 250);
  }
  return jitter;
}
