import { errorCodes, type ErrorCode } from '../../app/errors';
import type { BriefCodec } from './journal-sidecar';
import { multiLabelBit, ResultBriefColumns, shownErrorBit, storedErrorBit } from './result-brief-columns';
import type { ResultBrief } from './results';
import { ClassSubset } from '../../app/class-table';

// Result briefs in a journal's sidecar, as columns of numbers (per image: size, mtime, flags, where
// its scores start; scores flat: a column of classes, one of confidences, each then kept in its
// narrowest exact kind) with class names and the sparse errors as JSON. Class names are written
// out: the store's class indices differ between runs of the app. Read straight into the index's
// columns (`ResultBriefColumns`), without an object per brief.

interface ClassNames {
  readonly names: readonly string[];
  indexOf(name: string): number;
}

const allBits = storedErrorBit | shownErrorBit | multiLabelBit;

const codes = new Set<string>(errorCodes);

export function resultBriefCodec(classes: ClassNames): BriefCodec<ResultBrief, ResultBriefColumns> {
  return {
    encode(briefs, n) {
      const size = new Float64Array(n);
      const mtimeMs = new Float64Array(n);
      const flags = new Float64Array(n);
      const scoreStart = new Float64Array(n + 1);
      let pairs = 0;
      for (let i = 0; i < n; i++) pairs += briefs.scoreCount(i);
      const scoreClass = new Float64Array(pairs);
      const scoreConf = new Float64Array(pairs);
      const local = new ClassSubset(classes);
      const errors: Array<[number, ErrorCode, string]> = [];
      let at = 0;
      for (let i = 0; i < n; i++) {
        size[i] = briefs.size(i);
        mtimeMs[i] = briefs.mtimeMs(i);
        flags[i] = briefs.bits(i);
        for (let k = 0; k < briefs.scoreCount(i); k++) {
          scoreClass[at] = local.indexOf(briefs.scoreClass(i, k));
          scoreConf[at++] = briefs.scoreConf(i, k);
        }
        scoreStart[i + 1] = at;
        const error = briefs.error(i);
        if (error) errors.push([i, error.code, error.message]);
      }
      return { json: { classes: local.names, errors }, columns: [size, mtimeMs, flags, scoreStart, scoreClass, scoreConf] };
    },
    decode({ json, columns }, count) {
      if (typeof json !== 'object' || json === null || columns.length !== 6) return null;
      const v = json as Record<string, unknown>;
      const names = v.classes;
      if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) return null;
      const [size, mtimeMs, flags, starts, scoreClass, scoreConf] = columns;
      if (size.length !== count || mtimeMs.length !== count || flags.length !== count || starts.length !== count + 1) return null;
      if (starts[0] !== 0 || starts[count] !== scoreClass.length || scoreConf.length !== scoreClass.length) return null;
      const index = names.map((name: string) => classes.indexOf(name));
      const errors = new Map<number, NonNullable<ResultBrief['error']>>();
      if (!Array.isArray(v.errors)) return null;
      for (const e of v.errors as unknown[]) {
        if (!Array.isArray(e) || e.length !== 3 || !Number.isInteger(e[0]) || e[0] < 0 || e[0] >= count) return null;
        if (typeof e[1] !== 'string' || !codes.has(e[1]) || typeof e[2] !== 'string') return null;
        errors.set(e[0] as number, { code: e[1] as ErrorCode, message: e[2] });
      }
      const out = new ResultBriefColumns(count, scoreClass.length);
      for (let i = 0; i < count; i++) {
        const f = flags[i];
        const from = starts[i];
        const to = starts[i + 1];
        if (!Number.isInteger(f) || f < 0 || f > allBits || !Number.isInteger(from) || !(to >= from) || !Number.isInteger(to)) return null;
        if (!Number.isFinite(size[i]) || !Number.isFinite(mtimeMs[i])) return null;
        out.add(size[i], mtimeMs[i], f, errors.get(i));
        for (let k = from; k < to; k++) {
          const c = index[scoreClass[k]];
          if (c === undefined || !Number.isFinite(scoreConf[k])) return null;
          out.addScore(c, scoreConf[k]);
        }
      }
      return out;
    },
  };
}
