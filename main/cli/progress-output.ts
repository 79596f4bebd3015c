import type { JobProgress } from '../../app/types';

// Job progress on stderr: a redrawn bar on a terminal, a plain line every few seconds otherwise
// (logs and CI stay readable). Nothing here goes to stdout, which carries results.

export interface ProgressOutput {
  update(progress: JobProgress, label: string): void;
  /** Ends the bar's line (or prints the last state) before other output. */
  finish(): void;
}

const describe = (p: JobProgress) => {
  const rate = p.rate > 0 ? `, ${p.rate.toFixed(1)} images/s` : '';
  const eta = p.etaSeconds !== null && p.etaSeconds > 0 && p.state === 'running' ? `, ETA ${formatSeconds(p.etaSeconds)}` : '';
  const failed = p.failed ? `, ${p.failed} failed` : '';
  const skipped = p.skipped ? `, ${p.skipped} already done` : '';
  return `${p.done + p.failed}/${p.total}${failed}${skipped}${rate}${eta}`;
};

export function formatSeconds(s: number): string {
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function createProgressOutput(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, opts: { intervalMs?: number; now?: () => number } = {}): ProgressOutput {
  const tty = stream.isTTY === true;
  const now = opts.now ?? Date.now;
  const interval = opts.intervalMs ?? 2000;
  let lastLine = -Infinity;
  let drawn = false;
  let pending: { progress: JobProgress; label: string } | null = null;
  // The counts of the last plain line: the job's final report repeats the last counts (only the
  // rate or state changes), and the same progress must not be printed twice.
  let lastCounts = '';
  const countsOf = (p: JobProgress, label: string) => `${label}\0${p.done}\0${p.failed}\0${p.skipped}\0${p.total}`;

  const plain = (progress: JobProgress, label: string) => {
    pending = null;
    const counts = countsOf(progress, label);
    if (counts === lastCounts) return;
    stream.write(`${label}: ${describe(progress)}\n`);
    lastCounts = counts;
    lastLine = now();
  };

  return {
    update(progress, label) {
      if (tty) {
        const width = 24;
        const fraction = progress.total ? (progress.done + progress.failed) / progress.total : 1;
        const filled = Math.round(fraction * width);
        const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
        const line = `${label} ${bar} ${describe(progress)}`.slice(0, Math.max(20, (stream.columns ?? 100) - 1));
        stream.write(`\r\x1b[2K${line}`);
        drawn = true;
        return;
      }
      if (now() - lastLine >= interval) plain(progress, label);
      else pending = { progress, label };
    },
    finish() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
      if (!tty && pending) plain(pending.progress, pending.label);
    },
  };
}
