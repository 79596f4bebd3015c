import { errorCodes, type ErrorCode } from '../../app/errors';
import type { BriefCodec } from './journal-sidecar';
import type { ResultBrief } from './results';

// Result briefs in a journal's sidecar, as columns of numbers (per image: size, mtime, flags, where
// its scores start; scores flat as class, confidence) with class names and the sparse errors as
// JSON. Class names are written out: the store's class indices differ between runs of the app.

interface ClassNames {
  readonly names: readonly string[];
  indexOf(name: string): number;
}

/** Bit 0: stored as an error; bit 1: shown as an error; bit 2: multi-label. */
const storedError = 1;
const shownError = 2;
const multiLabel = 4;

const codes = new Set<string>(errorCodes);

export function resultBriefCodec(classes: ClassNames): BriefCodec<ResultBrief> {
  return {
    encode(briefs) {
      const n = briefs.length;
      const size = new Float64Array(n);
      const mtimeMs = new Float64Array(n);
      const flags = new Float64Array(n);
      const scoreStart = new Float64Array(n + 1);
      const scores: number[] = [];
      const names: string[] = [];
      const errors: Array<[number, ErrorCode, string]> = [];
      const local = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const brief = briefs[i];
        size[i] = brief.size;
        mtimeMs[i] = brief.mtimeMs;
        flags[i] = (brief.stored === 'error' ? storedError : 0) | (brief.status === 'error' ? shownError : 0) | (brief.multiLabel ? multiLabel : 0);
        for (let k = 0; k < brief.scores.length; k += 2) {
          let c = local.get(brief.scores[k]);
          if (c === undefined) {
            c = names.length;
            local.set(brief.scores[k], c);
            names.push(classes.names[brief.scores[k]]);
          }
          scores.push(c, brief.scores[k + 1]);
        }
        scoreStart[i + 1] = scores.length;
        if (brief.error) errors.push([i, brief.error.code, brief.error.message]);
      }
      return { json: { classes: names, errors }, columns: [size, mtimeMs, flags, scoreStart, Float64Array.from(scores)] };
    },
    decode({ json, columns }, count) {
      if (typeof json !== 'object' || json === null || columns.length !== 5) return null;
      const v = json as Record<string, unknown>;
      const names = v.classes;
      if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) return null;
      const [size, mtimeMs, flags, starts, scores] = columns;
      if (size.length !== count || mtimeMs.length !== count || flags.length !== count || starts.length !== count + 1) return null;
      if (starts[0] !== 0 || starts[count] !== scores.length || scores.length % 2 !== 0) return null;
      const index = names.map((name: string) => classes.indexOf(name));
      const errors = new Map<number, NonNullable<ResultBrief['error']>>();
      if (!Array.isArray(v.errors)) return null;
      for (const e of v.errors as unknown[]) {
        if (!Array.isArray(e) || e.length !== 3 || !Number.isInteger(e[0]) || e[0] < 0 || e[0] >= count) return null;
        if (typeof e[1] !== 'string' || !codes.has(e[1]) || typeof e[2] !== 'string') return null;
        errors.set(e[0] as number, { code: e[1] as ErrorCode, message: e[2] });
      }
      const out = new Array<ResultBrief>(count);
      for (let i = 0; i < count; i++) {
        const f = flags[i];
        const from = starts[i];
        const to = starts[i + 1];
        if (!Number.isInteger(f) || f < 0 || f > 7 || !Number.isInteger(from) || !(to >= from) || to % 2 !== 0) return null;
        if (!Number.isFinite(size[i]) || !Number.isFinite(mtimeMs[i])) return null;
        const own: number[] = [];
        for (let k = from; k < to; k += 2) {
          const c = index[scores[k]];
          if (c === undefined || !Number.isFinite(scores[k + 1])) return null;
          own.push(c, scores[k + 1]);
        }
        // Same fields in the same order as the brief made from the record.
        const brief: ResultBrief = { size: size[i], mtimeMs: mtimeMs[i], stored: f & storedError ? 'error' : 'done', status: f & shownError ? 'error' : 'done', multiLabel: (f & multiLabel) !== 0, scores: own };
        const error = errors.get(i);
        if (error) brief.error = error;
        out[i] = brief;
      }
      return out;
    },
  };
}
