import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { JobProgress } from '../../../app/types';
import { createProgressOutput, formatSeconds } from '../../../main/cli/progress-output';

function sink(tty: boolean) {
  const stream = new Writable({
    write(chunk, _enc, done) {
      stream.text += String(chunk);
      done();
    },
  }) as Writable & { text: string; isTTY?: boolean; columns?: number };
  stream.text = '';
  stream.isTTY = tty;
  stream.columns = 120;
  return stream;
}

const progress = (done: number, extra: Partial<JobProgress> = {}): JobProgress => ({
  jobId: 'j', folderId: 'f', model: 'colors/1', state: 'running', total: 10, done, failed: 0, skipped: 2, inFlight: 1, rate: 4.25, etaSeconds: 2, ...extra,
});

describe('CLI progress output', () => {
  it('redraws one bar line on a terminal', () => {
    const out = sink(true);
    const p = createProgressOutput(out);
    p.update(progress(5), 'photos');
    p.update(progress(10, { state: 'done', etaSeconds: 0 }), 'photos');
    p.finish();
    expect(out.text).toContain('\r\x1b[2Kphotos [############------------] 5/10, 2 already done, 4.3 images/s, ETA 2 s');
    expect(out.text).toContain('[########################] 10/10');
    expect(out.text.endsWith('\n')).toBe(true);
    expect(out.text.split('\n')).toHaveLength(2);
  });

  it('prints plain lines at most every interval elsewhere, and the last state at the end', () => {
    const out = sink(false);
    let now = 0;
    const p = createProgressOutput(out, { intervalMs: 1000, now: () => now });
    p.update(progress(1), 'photos');
    now = 500;
    p.update(progress(2), 'photos');
    now = 900;
    p.update(progress(3, { failed: 1 }), 'photos');
    p.finish();
    expect(out.text).toBe('photos: 1/10, 2 already done, 4.3 images/s, ETA 2 s\nphotos: 4/10, 1 failed, 2 already done, 4.3 images/s, ETA 2 s\n');
    expect(out.text).not.toContain('\r');
  });

  it('formats durations for people', () => {
    expect(formatSeconds(42)).toBe('42 s');
    expect(formatSeconds(125)).toBe('2 min 5 s');
    expect(formatSeconds(7300)).toBe('2 h 2 min');
  });
});

describe('CLI progress output, plain lines', () => {
  it('never prints the same progress twice (the final report repeats the last counts)', () => {
    const out = sink(false);
    let now = 0;
    const p = createProgressOutput(out, { intervalMs: 1000, now: () => now });
    p.update(progress(10), 'photos');
    now = 1500;
    p.update(progress(10, { state: 'done', rate: 4.1, etaSeconds: 0 }), 'photos');
    p.finish();
    expect(out.text.trim().split('\n')).toHaveLength(1);
    expect(out.text).toMatch(/^photos: 10\/10/);
  });
});
