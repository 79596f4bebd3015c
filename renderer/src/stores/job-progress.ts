import type { JobProgress } from '../../../app/types';

// How the stores that follow a job (the folder's run, the comparison run, web images) read the
// progress main reports.

const activeStates = new Set<JobProgress['state']>(['queued', 'running', 'paused']);

/** True while the job is queued, running or paused. */
export function isActive(progress: JobProgress | null): boolean {
  return progress !== null && activeStates.has(progress.state);
}

/** True when `next` would take a job that has ended back to a running count: events can overtake
 *  the answer to the call that started or controlled it. */
export function stepsBack(current: JobProgress | null, next: JobProgress): boolean {
  return current !== null && current.jobId === next.jobId && !isActive(current) && isActive(next);
}

/** Items the job is through with, whatever their outcome (classified, failed or skipped). */
export function finishedCount(progress: JobProgress | null): number {
  return progress ? progress.done + progress.failed + progress.skipped : 0;
}
