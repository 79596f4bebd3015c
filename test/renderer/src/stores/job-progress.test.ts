import { describe, expect, it } from 'vitest';
import type { JobProgress, JobState } from '../../../../app/types';
import { finishedCount, isActive, stepsBack } from '../../../../renderer/src/stores/job-progress';

const progress = (jobId: string, state: JobState): JobProgress => ({
  jobId,
  folderId: 'f',
  model: 'colors/1',
  state,
  total: 10,
  done: 0,
  failed: 0,
  skipped: 0,
  inFlight: 0,
  rate: 0,
  etaSeconds: null,
});

describe('isActive', () => {
  it('is true while a job is queued, running or paused, false once it ended or without one', () => {
    expect((['queued', 'running', 'paused'] as const).map((s) => isActive(progress('a', s)))).toEqual([true, true, true]);
    expect((['done', 'cancelled', 'stopped'] as const).map((s) => isActive(progress('a', s)))).toEqual([false, false, false]);
    expect(isActive(null)).toBe(false);
  });
});

describe('stepsBack', () => {
  it('refuses a running count of a job that has already ended', () => {
    expect(stepsBack(progress('a', 'done'), progress('a', 'running'))).toBe(true);
    expect(stepsBack(progress('a', 'cancelled'), progress('a', 'queued'))).toBe(true);
  });

  it('takes every other step: forward, another job, or the first report', () => {
    expect(stepsBack(progress('a', 'running'), progress('a', 'done'))).toBe(false);
    expect(stepsBack(progress('a', 'running'), progress('a', 'paused'))).toBe(false);
    expect(stepsBack(progress('a', 'done'), progress('b', 'running'))).toBe(false);
    expect(stepsBack(progress('a', 'done'), progress('a', 'stopped'))).toBe(false);
    expect(stepsBack(null, progress('a', 'running'))).toBe(false);
  });
});

describe('finishedCount', () => {
  it('counts classified, failed and skipped items, and nothing without a job', () => {
    expect(finishedCount({ ...progress('a', 'running'), done: 3, failed: 2, skipped: 1, inFlight: 4 })).toBe(6);
    expect(finishedCount(null)).toBe(0);
  });
});
