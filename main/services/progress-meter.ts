import type { JobProgress } from '../../app/types';

// Progress bookkeeping for one job: the recent throughput (images/s over the last few seconds,
// so a pause or a slow patch shows quickly), the ETA from it, and throttling of progress events
// to about ten a second, with a trailing event so the latest numbers always go out.

export interface ProgressMeter {
  /** One image finished (done or failed). */
  completed(): void;
  rates(progress: Pick<JobProgress, 'total' | 'done' | 'failed'>): { rate: number; etaSeconds: number | null };
  /** Emits now when forced or when the interval has passed, else schedules a trailing emit. */
  report(force?: boolean): void;
  close(): void;
}

export function createProgressMeter(opts: { clock: () => number; intervalMs: number; emit: () => void; windowMs?: number }): ProgressMeter {
  const windowMs = opts.windowMs ?? 5000;
  const started = opts.clock();
  const stamps: number[] = [];
  let head = 0;
  let lastEmit = -Infinity;
  let trailing: NodeJS.Timeout | null = null;
  let closed = false;

  const emitNow = () => {
    if (trailing) clearTimeout(trailing);
    trailing = null;
    lastEmit = opts.clock();
    opts.emit();
  };

  return {
    completed() {
      stamps.push(opts.clock());
    },
    rates(progress) {
      const now = opts.clock();
      while (head < stamps.length && stamps[head] < now - windowMs) head++;
      if (head > 4096) {
        stamps.splice(0, head);
        head = 0;
      }
      const span = Math.min(windowMs, now - started) / 1000;
      const recent = stamps.length - head;
      const rate = span > 0 ? recent / span : 0;
      const remaining = Math.max(0, progress.total - progress.done - progress.failed);
      const etaSeconds = remaining === 0 ? 0 : rate > 0 ? Math.round(remaining / rate) : null;
      return { rate: Math.round(rate * 100) / 100, etaSeconds };
    },
    report(force = false) {
      if (closed) return;
      const now = opts.clock();
      if (force || now - lastEmit >= opts.intervalMs) return emitNow();
      if (!trailing) trailing = setTimeout(emitNow, Math.max(0, opts.intervalMs - (now - lastEmit)));
    },
    close() {
      closed = true;
      if (trailing) clearTimeout(trailing);
      trailing = null;
    },
  };
}
