import type { BriefStore } from './journal-briefs';
import type { ResultBrief } from './results';
import { grownTo } from '../../app/typed-growth';

// A results journal's briefs as typed columns, one row per image (the journal index's row): size,
// mtime, a flags byte, and where the row's scores sit in a shared pool of (class index, confidence)
// pairs. At 250,000 results one object per brief, its score array and the boxed numbers in it came
// to ~300 bytes an image; here it is about 30 plus 12 per score. Confidences stay doubles: what the
// page shows and sorts by must be exactly what the journal holds.
//
// A row overwritten with more scores than it had takes fresh room at the pool's end; the pool is
// compacted (rows in order) once more than half of it is such leftovers.

/** Flag bits: stored as an error (the record's own status); shown as an error; multi-label. */
export const storedErrorBit = 1;
export const shownErrorBit = 2;
export const multiLabelBit = 4;

type BriefError = NonNullable<ResultBrief['error']>;

const firstRows = 1024;
/** Below this many pool slots, leftovers are not worth a compaction. */
const minCompact = 4096;

export class ResultBriefColumns implements BriefStore<ResultBrief> {
  #length = 0;
  #size: Float64Array;
  #mtimeMs: Float64Array;
  #flags: Uint8Array;
  #scoreFrom: Uint32Array;
  #scoreCount: Uint32Array;
  // Class indices into the results store's class table (shared by its journals; it can pass 65,535).
  #scoreClass: Uint32Array;
  #scoreConf: Float64Array;
  /** Pool slots handed out (live + leftovers), and those rows still use. */
  #used = 0;
  #live = 0;
  /** Sparse: only rows that carry an error. */
  readonly #errors = new Map<number, BriefError>();

  /** Room for `rows` rows and `pairs` scores before the first growth (it doubles). */
  constructor(rows = firstRows, pairs = rows * 4) {
    const r = Math.max(1, rows);
    const p = Math.max(1, pairs);
    this.#size = new Float64Array(r);
    this.#mtimeMs = new Float64Array(r);
    this.#flags = new Uint8Array(r);
    this.#scoreFrom = new Uint32Array(r);
    this.#scoreCount = new Uint32Array(r);
    this.#scoreClass = new Uint32Array(p);
    this.#scoreConf = new Float64Array(p);
  }

  get length(): number {
    return this.#length;
  }

  /** Rows the columns have room for without growing. */
  get capacity(): number {
    return this.#size.length;
  }

  /** Pool slots in use, leftovers included (for tests of the compaction). */
  get poolUsed(): number {
    return this.#used;
  }

  set(row: number, brief: ResultBrief): void {
    const bits = (brief.stored === 'error' ? storedErrorBit : 0) | (brief.status === 'error' ? shownErrorBit : 0) | (brief.multiLabel ? multiLabelBit : 0);
    this.#row(row, brief.size, brief.mtimeMs, bits, brief.error);
    this.#setScores(row, brief.scores.length >> 1);
    const from = this.#scoreFrom[row];
    for (let k = 0; k < brief.scores.length; k += 2) {
      this.#scoreClass[from + (k >> 1)] = brief.scores[k];
      this.#scoreConf[from + (k >> 1)] = brief.scores[k + 1];
    }
  }

  /** Adds a row from decoded columns, its scores to follow through `addScore` (the sidecar's read). */
  add(size: number, mtimeMs: number, bits: number, error: BriefError | undefined): void {
    this.#row(this.#length, size, mtimeMs, bits, error);
  }

  /** Appends a score to the last row added; the pool must end with that row's scores. */
  addScore(classIndex: number, confidence: number): void {
    const row = this.#length - 1;
    this.#ensurePool(this.#used + 1);
    this.#scoreClass[this.#used] = classIndex;
    this.#scoreConf[this.#used] = confidence;
    this.#used++;
    this.#live++;
    this.#scoreCount[row]++;
  }

  get(row: number): ResultBrief {
    const scores: number[] = [];
    const from = this.#scoreFrom[row];
    for (let k = 0; k < this.#scoreCount[row]; k++) scores.push(this.#scoreClass[from + k], this.#scoreConf[from + k]);
    // Same fields in the same order as the brief made from the record.
    const brief: ResultBrief = { size: this.#size[row], mtimeMs: this.#mtimeMs[row], stored: this.stored(row), status: this.status(row), multiLabel: this.multiLabel(row), scores };
    const error = this.#errors.get(row);
    if (error) brief.error = error;
    return brief;
  }

  size(row: number): number {
    return this.#size[row];
  }

  mtimeMs(row: number): number {
    return this.#mtimeMs[row];
  }

  bits(row: number): number {
    return this.#flags[row];
  }

  stored(row: number): ResultBrief['stored'] {
    return this.#flags[row] & storedErrorBit ? 'error' : 'done';
  }

  status(row: number): ResultBrief['status'] {
    return this.#flags[row] & shownErrorBit ? 'error' : 'done';
  }

  multiLabel(row: number): boolean {
    return (this.#flags[row] & multiLabelBit) !== 0;
  }

  error(row: number): BriefError | undefined {
    return this.#errors.get(row);
  }

  scoreCount(row: number): number {
    return this.#scoreCount[row];
  }

  /** The class index of `row`'s k-th score (scores are sorted by confidence, descending). */
  scoreClass(row: number, k: number): number {
    return this.#scoreClass[this.#scoreFrom[row] + k];
  }

  scoreConf(row: number, k: number): number {
    return this.#scoreConf[this.#scoreFrom[row] + k];
  }

  /** Writes a row's own fields; `row` is an existing row or the next one. */
  #row(row: number, size: number, mtimeMs: number, bits: number, error: BriefError | undefined): void {
    if (row > this.#length || row < 0) throw new RangeError(`row ${row} of ${this.#length}`);
    if (row === this.#length) {
      if (row === this.#size.length) this.#growRows(row + 1);
      this.#scoreFrom[row] = this.#used;
      this.#scoreCount[row] = 0;
      this.#length++;
    }
    this.#size[row] = size;
    this.#mtimeMs[row] = mtimeMs;
    this.#flags[row] = bits;
    if (error) this.#errors.set(row, error);
    else this.#errors.delete(row);
  }

  /** Gives `row` room for `count` scores: in place when they fit, else at the pool's end. */
  #setScores(row: number, count: number): void {
    let had = this.#scoreCount[row];
    if (count > had) {
      if (this.#used + count > this.#scoreConf.length && this.#used >= minCompact && this.#used - this.#live >= this.#live) {
        this.#compact(row);
        had = 0;
      }
      this.#ensurePool(this.#used + count);
      this.#scoreFrom[row] = this.#used;
      this.#used += count;
    }
    this.#live += count - had;
    this.#scoreCount[row] = count;
  }

  /** Rewrites the pool with only the rows' scores, in row order (`skip`'s are about to be replaced). */
  #compact(skip: number): void {
    const capacity = Math.max(firstRows, 2 * (this.#live - this.#scoreCount[skip]));
    const cls = new Uint32Array(capacity);
    const conf = new Float64Array(capacity);
    let used = 0;
    for (let row = 0; row < this.#length; row++) {
      const from = this.#scoreFrom[row];
      const count = row === skip ? 0 : this.#scoreCount[row];
      cls.set(this.#scoreClass.subarray(from, from + count), used);
      conf.set(this.#scoreConf.subarray(from, from + count), used);
      this.#scoreFrom[row] = used;
      this.#scoreCount[row] = count;
      used += count;
    }
    this.#scoreClass = cls;
    this.#scoreConf = conf;
    this.#used = used;
    this.#live = used;
  }

  #growRows(min: number): void {
    const capacity = Math.max(min, this.#size.length * 2);
    this.#size = grownTo(this.#size, capacity);
    this.#mtimeMs = grownTo(this.#mtimeMs, capacity);
    this.#flags = grownTo(this.#flags, capacity);
    this.#scoreFrom = grownTo(this.#scoreFrom, capacity);
    this.#scoreCount = grownTo(this.#scoreCount, capacity);
  }

  #ensurePool(min: number): void {
    if (min <= this.#scoreConf.length) return;
    const capacity = Math.max(min, this.#scoreConf.length * 2);
    this.#scoreClass = grownTo(this.#scoreClass, capacity);
    this.#scoreConf = grownTo(this.#scoreConf, capacity);
  }
}
