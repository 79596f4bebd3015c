import type { Emit, Ports } from '../ports';
import type { Exporter } from './exporter';

// Exports started from the window: each gets an AbortSignal (so "Cancel" in the status bar can stop
// it) and reports `exportProgress` events, at most every `intervalMs` plus the last one, so a 50k
// JSON export neither floods the event channel nor looks frozen.

export interface ExportRuns {
  /** The exporter port the handlers call (progress + cancellation added). */
  exporter: Ports['exporter'];
  /** Cancels every export in progress; true when there was one. */
  cancel(): boolean;
}

export interface ExportRunsOptions {
  exporter: Pick<Exporter, 'exportWith' | 'suggestedName'>;
  emit: Emit;
  intervalMs?: number;
  clock?: () => number;
}

export function createExportRuns(opts: ExportRunsOptions): ExportRuns {
  const intervalMs = opts.intervalMs ?? 100;
  const clock = opts.clock ?? Date.now;
  const running = new Set<AbortController>();

  return {
    exporter: {
      suggestedName: (folderId, format) => opts.exporter.suggestedName(folderId, format),
      async export(request) {
        const abort = new AbortController();
        running.add(abort);
        let last = Number.NEGATIVE_INFINITY;
        try {
          return await opts.exporter.exportWith(request, {
            signal: abort.signal,
            onProgress: (done, total) => {
              const now = clock();
              if (done < total && now - last < intervalMs) return;
              last = now;
              opts.emit('exportProgress', { done, total, path: request.path });
            },
          });
        } finally {
          running.delete(abort);
        }
      },
    },
    cancel() {
      const any = running.size > 0;
      for (const abort of running) abort.abort();
      return any;
    },
  };
}
