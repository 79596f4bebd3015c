import { errorCodes, type ErrorCode } from '../../app/errors';
import type { BriefCodec } from './journal-sidecar';
import type { ResultBrief } from './results';

// Result briefs in a journal's sidecar, as columns (one number per field per image, scores flat
// with start offsets, errors sparse) with class names written out: class indices are the store's
// and differ between runs of the app.

interface ClassNames {
  readonly names: readonly string[];
  indexOf(name: string): number;
}

interface BriefColumns {
  classes: string[];
  size: number[];
  mtimeMs: number[];
  /** Bit 0: stored as an error; bit 1: shown as an error; bit 2: multi-label. */
  flags: number[];
  /** Scores of brief i are pairs scoreStart[i] … scoreStart[i + 1] of `scores` (class, confidence). */
  scoreStart: number[];
  scores: number[];
  errors: Array<[index: number, code: ErrorCode, message: string]>;
}

const codes = new Set<string>(errorCodes);

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function numbers(value: unknown, length: number): value is number[] {
  if (!Array.isArray(value) || value.length !== length) return false;
  for (const n of value) if (!finite(n)) return false;
  return true;
}

export function resultBriefCodec(classes: ClassNames): BriefCodec<ResultBrief> {
  return {
    encode(briefs) {
      const local = new Map<number, number>();
      const out: BriefColumns = { classes: [], size: [], mtimeMs: [], flags: [], scoreStart: [0], scores: [], errors: [] };
      briefs.forEach((brief, i) => {
        out.size.push(brief.size);
        out.mtimeMs.push(brief.mtimeMs);
        out.flags.push((brief.stored === 'error' ? 1 : 0) | (brief.status === 'error' ? 2 : 0) | (brief.multiLabel ? 4 : 0));
        for (let k = 0; k < brief.scores.length; k += 2) {
          let c = local.get(brief.scores[k]);
          if (c === undefined) {
            c = out.classes.length;
            local.set(brief.scores[k], c);
            out.classes.push(classes.names[brief.scores[k]]);
          }
          out.scores.push(c, brief.scores[k + 1]);
        }
        out.scoreStart.push(out.scores.length);
        if (brief.error) out.errors.push([i, brief.error.code, brief.error.message]);
      });
      return out;
    },
    decode(value, count) {
      if (typeof value !== 'object' || value === null) return null;
      const v = value as Record<string, unknown>;
      const names = v.classes;
      if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) return null;
      if (!numbers(v.size, count) || !numbers(v.mtimeMs, count) || !numbers(v.flags, count) || !numbers(v.scoreStart, count + 1)) return null;
      const scores = v.scores;
      if (!Array.isArray(scores) || scores.length % 2 !== 0 || !numbers(scores, scores.length)) return null;
      const starts = v.scoreStart;
      if (starts[0] !== 0 || starts[count] !== scores.length) return null;
      const index = names.map((name: string) => classes.indexOf(name));
      const errors = new Map<number, ResultBrief['error']>();
      if (!Array.isArray(v.errors)) return null;
      for (const e of v.errors as unknown[]) {
        if (!Array.isArray(e) || e.length !== 3 || !Number.isInteger(e[0]) || e[0] < 0 || e[0] >= count) return null;
        if (typeof e[1] !== 'string' || !codes.has(e[1]) || typeof e[2] !== 'string') return null;
        errors.set(e[0] as number, { code: e[1] as ErrorCode, message: e[2] });
      }
      const out: ResultBrief[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const flags = v.flags[i];
        const from = starts[i];
        const to = starts[i + 1];
        if (!Number.isInteger(flags) || flags < 0 || flags > 7 || !Number.isInteger(from) || to < from || to % 2 !== 0) return null;
        const own: number[] = [];
        for (let k = from; k < to; k += 2) {
          const c = index[scores[k]];
          if (c === undefined) return null;
          own.push(c, scores[k + 1]);
        }
        // Same fields in the same order as the brief made from the record.
        const brief: ResultBrief = { size: v.size[i], mtimeMs: v.mtimeMs[i], stored: flags & 1 ? 'error' : 'done', status: flags & 2 ? 'error' : 'done', multiLabel: (flags & 4) !== 0, scores: own };
        const error = errors.get(i);
        if (error) brief.error = error;
        out[i] = brief;
      }
      return out;
    },
  };
}
