// Work a user is looking at the screen for (thumbnails, full images) goes ahead of main's
// background passes over a folder (reading sizes and mtimes after the ids, the re-check of a
// cached listing, a listing's name order): those passes take the CPU in slices of a few ms, and
// on a busy 2-core machine the first screen's thumbnails waited seconds behind them.

import { nextTurn } from './next-turn';

export interface Foreground {
  /** Runs `work`, counted as pending until it settles. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** A background pass's turn: at once (next event-loop turn) when nothing is pending, else when
   *  the pending work is done or `maxWaitMs` has passed (so a stream of requests slows a pass
   *  down without stopping it). */
  turn(): Promise<void>;
}

export function createForeground(opts: { maxWaitMs?: number } = {}): Foreground {
  const maxWaitMs = opts.maxWaitMs ?? 100;
  let pending = 0;
  let waiters: Array<() => void> = [];

  const settle = () => {
    pending--;
    if (pending > 0) return;
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  };

  return {
    async run(work) {
      pending++;
      try {
        return await work();
      } finally {
        settle();
      }
    },
    turn() {
      if (pending === 0) return nextTurn();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, maxWaitMs);
        function done() {
          clearTimeout(timer);
          waiters = waiters.filter((w) => w !== done);
          resolve();
        }
        waiters.push(done);
      });
    },
  };
}
