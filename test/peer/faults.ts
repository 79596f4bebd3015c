// Fault injection for the peer's inference route. A plan affects the next `count` inference
// requests (default 1), or, with `every`, each Nth inference request after it was set (without a
// `count`, until reset). Plans queue: the oldest live plan decides. Faults hit before
// authentication, as a gateway or an overloaded server would.

export type FaultKind = '429' | '503' | 'drop' | 'slow' | 'garbage' | 'status';

export interface FaultPlan {
  kind: FaultKind;
  /** For 'status': the status to answer (default 500). */
  status?: number;
  /** Retry-After in seconds for '429' (default 1), '503' (always 1 unless given) and 'status'. */
  retryAfter?: number;
  /** For 'slow': how long to wait before answering normally (default 2000 ms). */
  delayMs?: number;
  count?: number;
  every?: number;
  /** For 'status': 'text' answers a non-JSON gateway page instead of JSON {message}.
   *  For 'garbage': 'json' answers JSON of neither response shape instead of an HTML page. */
  body?: 'json' | 'text';
  /** For 'status': put the key and the request URL the peer received into the error body, so
   *  tests can prove the client never lets an echoed key through. */
  echoKey?: boolean;
}

interface LivePlan {
  plan: FaultPlan;
  left: number;
  seen: number;
}

/** Picks which fault (if any) applies to each inference request. */
export class FaultBook {
  private plans: LivePlan[] = [];

  add(plan: FaultPlan): void {
    const left = plan.count ?? (plan.every ? Number.POSITIVE_INFINITY : 1);
    this.plans.push({ plan, left, seen: 0 });
  }

  clear(): void {
    this.plans = [];
  }

  /** The fault for the request arriving now, consuming one use of its plan. */
  next(): FaultPlan | null {
    let chosen: FaultPlan | null = null;
    for (const live of this.plans) {
      live.seen += 1;
      if (chosen || live.left <= 0) continue;
      if (live.plan.every && live.seen % live.plan.every !== 0) continue;
      live.left -= 1;
      chosen = live.plan;
    }
    this.plans = this.plans.filter((p) => p.left > 0);
    return chosen;
  }
}
