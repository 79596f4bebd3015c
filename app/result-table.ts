import type { AppError } from './errors';
import { ClassTable } from './class-table';
import { grownTo } from './typed-growth';
import { tenThousandths } from './packed-numbers';
import type { ResultStatus, ResultSummary } from './types';
import { errorBit, multiLabelBit, readColumns, resultFlags, staleBit, type ResultColumns } from './result-columns';

// A folder's stored results in the page, kept as columns and lined up with the listing by index.
// At 250,000 results the page made an object (and a score array) per result, a Map from id to
// result, and then re-lined that Map with the listing on every change: with prepareView's walk
// over the objects, 1.7 s of the page's time per load (profiled, docs/perf-250k.md). Here a result
// is a row of typed columns, placed at its listing index as it arrives, and a ResultSummary is made
// only when it is asked for.

/** Results indexed like a listing: a plain array is one, and so is a ResultSnapshot. */
export interface ResultList<T = ResultSummary> {
  readonly length: number;
  at(index: number): T | undefined;
}

/** What a result says of its image without its scores. */
export type ResultState = Pick<ResultSummary, 'status' | 'stale'>;

/** The listing results are lined up with: its ids (the same array while it grows, a new one when
 *  it is replaced) and an id's index in them (-1 when not listed). */
export interface Listing {
  readonly ids: readonly string[];
  indexOf(id: string): number;
}

/** How far ahead of the rows taken in a page reserves room (past that, the columns double). */
const reserveRowsMax = 1 << 20;
const reserveScoresMax = 1 << 22;

/** Rows of results, only ever appended to: a row, once written, never changes, so a snapshot may
 *  keep reading rows while later ones are added. Replacing a result appends a row. */
export class ResultRows {
  ids: string[] = [];
  /** Per row: error / stale / multi-label bits. */
  flags = new Uint8Array(1024);
  /** Per row: its scores are start[row] .. start[row + 1] of the flat columns, best first. */
  start = new Int32Array(1025);
  scoreClass = new Int32Array(4096);
  scoreConf = new Float64Array(4096);
  /** The class names `scoreClass` indexes (shared with the rows a compaction makes). */
  readonly classTable: ClassTable;
  readonly errors = new Map<number, AppError>();
  /** Summaries made, by row, kept: a row never changes, so asking again for an unchanged result
   *  gives the same object (a tile is not drawn again for nothing), and a pass over every result
   *  (evaluation, comparison) makes each once, not once per pass. Only what is asked for is made:
   *  browsing makes the few on screen. */
  #made: Array<ResultSummary | undefined> = [];
  /** Shared pairs (see #pair), by class, then by ten-thousandths. */
  #pairs: Array<Array<[string, number]> | undefined> = [];

  constructor(classes = new ClassTable()) {
    this.classTable = classes;
  }

  /** Every class name seen, in the order first seen. */
  get classes(): readonly string[] {
    return this.classTable.names;
  }

  get count(): number {
    return this.ids.length;
  }

  /** The class table's index for a name (added when new). */
  classOf(name: string): number {
    return this.classTable.indexOf(name);
  }

  /** Room for `rows` more rows and `scores` more scores. */
  #reserve(rows: number, scores: number): void {
    const row = this.ids.length;
    if (row + rows >= this.flags.length) {
      this.flags = grown(this.flags, row + rows + 1);
      this.start = grown(this.start, row + rows + 2);
    }
    const at = this.start[row];
    if (at + scores > this.scoreClass.length) {
      this.scoreClass = grown(this.scoreClass, at + scores);
      this.scoreConf = grown(this.scoreConf, at + scores);
    }
  }

  /** Appends a row: its flags, its scores (classes[from..to) and confs[from..to), the class of
   *  each through `remap` when given: a score whose class it does not know is dropped), its error. */
  add(id: string, flags: number, classes: ArrayLike<number>, confs: ArrayLike<number>, from: number, to: number, error?: AppError, remap?: ArrayLike<number>): number {
    this.#reserve(1, to - from);
    return this.#append(id, flags, classes, confs, from, to, error, remap);
  }

  /** add, with the room already reserved. */
  #append(id: string, flags: number, classes: ArrayLike<number>, confs: ArrayLike<number>, from: number, to: number, error?: AppError, remap?: ArrayLike<number>): number {
    const row = this.ids.length;
    const scoreClass = this.scoreClass;
    const scoreConf = this.scoreConf;
    let at = this.start[row];
    for (let j = from; j < to; j++) {
      const k = remap ? remap[classes[j]] : classes[j];
      if (k === undefined) continue;
      scoreClass[at] = k;
      scoreConf[at++] = confs[j];
    }
    this.ids.push(id);
    this.flags[row] = flags & (errorBit | staleBit | multiLabelBit);
    this.start[row + 1] = at;
    if (error) this.errors.set(row, error);
    return row;
  }

  /** Appends a copy of `from`'s row `row` (these rows or others sharing their class table),
   *  with `flags` in place of its own when given. */
  addCopy(from: ResultRows, row: number, flags = from.flags[row]): number {
    return this.add(from.ids[row], flags, from.scoreClass, from.scoreConf, from.start[row], from.start[row + 1], from.errors.get(row));
  }

  /** Appends a summary's row. */
  addSummary(item: ResultSummary): number {
    const classes = item.scores.map(([name]) => this.classOf(name));
    const confs = item.scores.map(([, confidence]) => confidence);
    return this.add(item.id, resultFlags(item.status === 'error', item.stale, item.multiLabel), classes, confs, 0, classes.length, item.error);
  }

  isError(row: number): boolean {
    return (this.flags[row] & errorBit) !== 0;
  }

  isStale(row: number): boolean {
    return (this.flags[row] & staleBit) !== 0;
  }

  isMultiLabel(row: number): boolean {
    return (this.flags[row] & multiLabelBit) !== 0;
  }

  /** Appends a page's rows, telling `onRow` each id and its row. Rows the columns do not fully
   *  describe (a short column, a class index out of the page's table) get what the columns do
   *  say, never an exception. */
  addPage(page: ResultColumns, onRow: (id: string, row: number) => void): void {
    const { ids, flags, counts, classOf, conf, flat, count, errors } = readColumns(page);
    const classIds = page.classes.map((name) => this.classOf(name));
    // Room for the results still to come (the page says how many are stored), at this page's
    // scores per result, up to a bound: one allocation instead of one per doubling.
    const total = Number.isFinite(page.total) ? page.total : 0;
    const rows = Math.max(count, Math.min(total - this.ids.length, reserveRowsMax));
    this.#reserve(rows, Math.max(flat, Math.min(count > 0 ? Math.ceil((flat / count) * rows) : 0, reserveScoresMax)));
    let from = 0;
    for (let i = 0; i < count; i++) {
      const n = counts[i] > 0 ? counts[i] : 0;
      onRow(ids[i], this.#append(ids[i], flags[i], classOf, conf, from, Math.min(from + n, flat), errors.size > 0 ? errors.get(i) : undefined, classIds));
      from += n;
    }
  }

  /** The row as a summary, the same object each time. */
  summary(row: number): ResultSummary {
    return (this.#made[row] ??= this.made(row));
  }

  /** A [class name, confidence] pair: one array for each pair of a class and a four-decimal
   *  confidence (what the hosted API sends), shared by every summary that has it, so readers must
   *  not change it (none does). Making a pair per score was most of the time a pass over 250,000
   *  results took (1.4 s against 0.4 s, scratch script); other confidences get their own pair. */
  #pair(cls: number, confidence: number): [string, number] {
    const k = tenThousandths(confidence);
    if (k < 0 || k > 1e4) return [this.classes[cls], confidence];
    const byConfidence = (this.#pairs[cls] ??= []);
    return (byConfidence[k] ??= [this.classes[cls], confidence]);
  }

  /** The row as a new summary. */
  made(row: number): ResultSummary {
    const flags = this.flags[row];
    const scores: Array<[string, number]> = [];
    for (let at = this.start[row]; at < this.start[row + 1]; at++) scores.push(this.#pair(this.scoreClass[at], this.scoreConf[at]));
    const summary: ResultSummary = {
      id: this.ids[row],
      status: flags & errorBit ? 'error' : 'done',
      stale: (flags & staleBit) !== 0,
      multiLabel: (flags & multiLabelBit) !== 0,
      scores,
    };
    const error = this.errors.get(row);
    if (error) summary.error = error;
    return summary;
  }
}

/** `from` in an array of at least `need` values, doubling at least. */
function grown<A extends Uint8Array | Int32Array | Float64Array>(from: A, need: number): A {
  return grownTo(from, Math.max(need, from.length * 2));
}

/** The results as they were at one moment, by listing index: what a view is built from. It keeps
 *  reading the same results while later ones arrive (rows are never changed, only appended). */
export class ResultSnapshot implements ResultList {
  constructor(
    readonly rows: ResultRows,
    /** Per listing index, the row of its result, or -1. */
    readonly rowAt: Int32Array,
  ) {}

  get length(): number {
    return this.rowAt.length;
  }

  /** Entry `index`'s result (undefined for none, or an index outside the listing). */
  at(index: number): ResultSummary | undefined {
    const row = index >= 0 && index < this.rowAt.length ? this.rowAt[index] : -1;
    return row >= 0 ? this.rows.summary(row) : undefined;
  }

  /** Entry `index`'s result's status and staleness (undefined for none), without its scores: for
   *  a pass over every image that needs no more (which images a run takes). */
  stateAt(index: number): ResultState | undefined {
    const row = index >= 0 && index < this.rowAt.length ? this.rowAt[index] : -1;
    return row >= 0 ? { status: this.rows.isError(row) ? 'error' : 'done', stale: this.rows.isStale(row) } : undefined;
  }

  /** How many entries have a result (of that status, when given). */
  count(status?: ResultStatus): number {
    let n = 0;
    for (let i = 0; i < this.rowAt.length; i++) {
      const row = this.rowAt[i];
      if (row >= 0 && (status === undefined || (status === 'error') === this.rows.isError(row))) n++;
    }
    return n;
  }
}

/** Summaries (`results[i]` entry i's, or undefined) as a snapshot of their own rows. */
export function snapshotOf(results: ReadonlyArray<ResultSummary | undefined>): ResultSnapshot {
  const rows = new ResultRows();
  const rowAt = new Int32Array(results.length).fill(-1);
  for (let i = 0; i < results.length; i++) {
    const result = results[i];
    if (result) rowAt[i] = rows.addSummary(result);
  }
  return new ResultSnapshot(rows, rowAt);
}

/** A folder's results lined up with its listing (see above). */
export class ResultTable {
  #rows = new ResultRows();
  /** Per listing index (up to `#listed`), the row of its result, or -1. */
  #rowAt = new Int32Array(0);
  #listed = 0;
  /** The listing's ids array the placements belong to. */
  #ids: readonly string[] | null = null;
  /** Rows of ids not listed (yet). */
  #pending = new Map<string, number>();
  /** Where the next id is looked for first: results mostly come in listing order. */
  #next = 0;
  /** Rows placed (live ones): when the rows grow far past them, they are copied without the dead. */
  #placed = 0;

  constructor(private readonly listing: Listing) {}

  /** Takes in a page of stored results (see ResultRows.addPage). */
  addPage(page: ResultColumns): void {
    this.#follow();
    this.#rows.addPage(page, (id, row) => this.#place(id, row));
    this.#compactWhenMostlyDead();
  }

  /** Takes in one result (a job's). */
  set(item: ResultSummary): void {
    this.#follow();
    this.#place(item.id, this.#rows.addSummary(item));
    this.#compactWhenMostlyDead();
  }

  /** The result of an id, listed or not. */
  resultOf(id: string): ResultSummary | undefined {
    const row = this.#rowOf(id);
    return row >= 0 ? this.#rows.summary(row) : undefined;
  }

  /** Marks the results of `ids` stale (their files changed since they were classified): each
   *  becomes a new row, the same result flagged stale. Ids without a result, or already stale, are
   *  left as they are. Answers how many were marked. */
  markStale(ids: Iterable<string>): number {
    const rows = this.#rows;
    let marked = 0;
    for (const id of ids) {
      const row = this.#rowOf(id);
      if (row < 0 || rows.isStale(row)) continue;
      this.#place(id, rows.addCopy(rows, row, rows.flags[row] | staleBit));
      marked++;
    }
    if (marked > 0) this.#compactWhenMostlyDead();
    return marked;
  }

  /** The row of an id's result, listed or not, or -1. */
  #rowOf(id: string): number {
    this.#follow();
    const index = this.listing.indexOf(id);
    return index >= 0 ? this.#rowAt[index] : (this.#pending.get(id) ?? -1);
  }

  /** The results now, by listing index. */
  snapshot(): ResultSnapshot {
    this.#follow();
    return new ResultSnapshot(this.#rows, this.#rowAt.slice(0, this.#listed));
  }

  #place(id: string, row: number): void {
    const ids = this.listing.ids;
    let index = this.#next < this.#listed && ids[this.#next] === id ? this.#next : -1;
    if (index < 0) index = this.listing.indexOf(id);
    if (index >= 0 && index < this.#listed) {
      if (this.#rowAt[index] < 0) this.#placed++;
      this.#rowAt[index] = row;
      this.#next = index + 1;
    } else {
      if (!this.#pending.has(id)) this.#placed++;
      this.#pending.set(id, row);
    }
  }

  /** Compacts once the rows are mostly replaced ones (never while a page's rows are placed: their
   *  row numbers are the rows' before a compaction). */
  #compactWhenMostlyDead(): void {
    if (this.#rows.count > 2 * this.#placed + 4096) this.#compact();
  }

  /** Lines the placements up with the listing as it is now: new entries take their pending rows;
   *  a replaced listing is lined up afresh. */
  #follow(): void {
    const ids = this.listing.ids;
    if (ids !== this.#ids) {
      if (this.#ids) {
        for (let i = 0; i < this.#listed; i++) if (this.#rowAt[i] >= 0) this.#pending.set(this.#ids[i], this.#rowAt[i]);
      }
      this.#ids = ids;
      this.#rowAt = new Int32Array(0);
      this.#listed = 0;
      this.#next = 0;
    }
    if (ids.length <= this.#listed) return;
    if (ids.length > this.#rowAt.length) {
      const next = new Int32Array(Math.max(ids.length, this.#rowAt.length * 2)).fill(-1);
      next.set(this.#rowAt.subarray(0, this.#listed));
      this.#rowAt = next;
    }
    if (this.#pending.size > 0) {
      for (let i = this.#listed; i < ids.length; i++) {
        const row = this.#pending.get(ids[i]);
        if (row === undefined) continue;
        this.#rowAt[i] = row;
        this.#pending.delete(ids[i]);
      }
    }
    this.#listed = ids.length;
  }

  /** Copies the live rows into new ones: results replaced many times (jobs run again) would
   *  otherwise keep every earlier row. Snapshots taken before keep the old rows. */
  #compact(): void {
    const old = this.#rows;
    const rows = new ResultRows(old.classTable);
    const copy = (row: number) => rows.addCopy(old, row);
    const rowAt = this.#rowAt.slice();
    for (let i = 0; i < this.#listed; i++) if (rowAt[i] >= 0) rowAt[i] = copy(rowAt[i]);
    for (const [id, row] of this.#pending) this.#pending.set(id, copy(row));
    this.#rows = rows;
    this.#rowAt = rowAt;
    this.#placed = rows.count;
  }
}
