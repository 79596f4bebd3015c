import type fs from 'node:fs/promises';
import { ArrayBriefStore, type BriefStore } from './journal-briefs';
import { LineSource, parseLine, readRange, type RangeResult, type RecordRules } from './journal-read';
import type { SidecarData } from './journal-sidecar';
import { nextTurn, type Turn } from './next-turn';
import { grownTo } from '../../app/typed-growth';

// A journal's in-memory index: the live record per key, and how much of the file it reflects, so
// a refresh reads only what other processes appended since and the line count (for compaction)
// stays true without rereading.
//
// Each key has a row, fixed from the first time the key is seen until the index is rebuilt (a
// full read, a compaction); rows are in first-seen order. With a `brief` rule the index keeps, per
// row, only that brief (in a `BriefStore`, which may keep briefs as typed columns) and where the
// record's line is (offset and length, in typed arrays), and reads the record back when asked: at
// 250,000 results the full records (raw responses) were most of main's memory, and then the
// per-key slot and brief objects were. A record this process appended is held whole until a
// refresh learns where its line landed (with O_APPEND and other writers, only the file says).
// Offsets are only ever read through the handle of the file they were read from; the index is
// rebuilt before that handle closes.

/** Where a row's line is not known (the record is held). */
const unplaced = -1;
/** Keys a sidecar's restore maps between two turns of the event loop. */
const adoptSlice = 25_000;
/** Lines a restore reads back between two turns. */
const samplesPerTurn = 16;

/** The rows of one read of the file: swapped whole, so readers never see half a rebuild. */
class Table<T, B, S extends BriefStore<B>> {
  readonly rows = new Map<string, number>();
  keys: string[] = [];
  /** Per row: its line's byte offset and length in the file (offset `unplaced` while held). */
  at: Float64Array;
  bytes: Float64Array;
  /** Records held by row: all of them without a brief rule; with one, ours until located. */
  readonly held = new Map<number, T>();

  constructor(
    readonly briefs: S,
    capacity = 16,
  ) {
    this.at = new Float64Array(capacity);
    this.bytes = new Float64Array(capacity);
  }

  /** Takes a sidecar's rows as they are, their keys mapped `slice` at a time with a `turn` between
   *  (at 250,000 keys the map took 0.1 s at a stretch); false when a key repeats. */
  async adopt(keys: string[], at: Float64Array, bytes: Float64Array, turn: Turn, slice = adoptSlice): Promise<boolean> {
    for (let from = 0; from < keys.length; from += slice) {
      if (from > 0) await turn();
      const to = Math.min(keys.length, from + slice);
      for (let row = from; row < to; row++) this.rows.set(keys[row], row);
      // The map grows by one per key: a key met before (in this slice or an earlier one) does not.
      if (this.rows.size !== to) return false;
    }
    this.keys = keys;
    this.at = at;
    this.bytes = bytes;
    return true;
  }

  /** The key's row, added (not yet placed) when the key is new. */
  rowOf(key: string): number {
    let row = this.rows.get(key);
    if (row === undefined) {
      row = this.keys.length;
      if (row === this.at.length) {
        const capacity = Math.max(16, row * 2);
        this.at = grownTo(this.at, capacity);
        this.bytes = grownTo(this.bytes, capacity);
      }
      this.rows.set(key, row);
      this.keys.push(key);
      this.at[row] = unplaced;
    }
    return row;
  }
}

/** The rows as readers see them (until the next rebuild): row i is keys[i], its brief briefs' row i. */
export interface JournalRows<S> {
  readonly keys: readonly string[];
  readonly briefs: S;
  /** Each key's row. */
  readonly rows: ReadonlyMap<string, number>;
}

export class JournalIndex<T, B = undefined, S extends BriefStore<B> = BriefStore<B>> {
  #table: Table<T, B, S>;
  /** Valid lines in the file (live + superseded). */
  #lines = 0;
  /** Bytes of the file already applied to the index. */
  #known = 0;
  /** Bytes and lines this process appended since `#known`. */
  #ourBytes = 0;
  #ours = 0;
  /** Our lines since the last inode check: written again if another process swapped the file. */
  #recent: string[] = [];
  /** Our rows since `#known`, with their line's length, to be located in file order. */
  #unplaced: Array<{ row: number; bytes: number }> = [];
  #source: LineSource | null = null;

  readonly #rules: RecordRules<T, B>;
  readonly #newBriefs: () => S;

  /** `briefStore` makes an empty store for a rebuild (default: the briefs as they are, in an array). */
  constructor(rules: RecordRules<T, B>, briefStore?: () => S) {
    this.#rules = rules;
    // Without a factory S is the default store's type (openJournal's callers cannot name another).
    this.#newBriefs = briefStore ?? (() => new ArrayBriefStore<B>() as unknown as S);
    this.#table = new Table(this.#newBriefs());
  }

  /** Records are read back from the file rather than held. */
  get lean(): boolean {
    return this.#rules.brief !== undefined;
  }

  get size(): number {
    return this.#table.keys.length;
  }

  get lines(): number {
    return this.#lines;
  }

  has(key: string): boolean {
    return this.#table.rows.has(key);
  }

  get(key: string): T | undefined {
    const row = this.#table.rows.get(key);
    return row === undefined ? undefined : this.#recordOf(this.#table, this.#source, key, row);
  }

  /** Live records in first-seen order (a record whose line can no longer be read is left out). */
  *values(): IterableIterator<T> {
    const table = this.#table;
    const source = this.#source;
    for (let row = 0; row < table.keys.length; row++) {
      const record = this.#recordOf(table, source, table.keys[row], row);
      if (record !== undefined) yield record;
    }
  }

  brief(key: string): B | undefined {
    if (!this.lean) return undefined;
    const row = this.#table.rows.get(key);
    return row === undefined ? undefined : this.#table.briefs.get(row);
  }

  /** Each live key's brief, in first-seen order. */
  *briefs(): IterableIterator<[string, B]> {
    const table = this.#table;
    for (let row = 0; row < table.keys.length; row++) yield [table.keys[row], (this.lean ? table.briefs.get(row) : undefined) as B];
  }

  /** The key's row in `rows()`, or -1. */
  rowOf(key: string): number {
    return this.#table.rows.get(key) ?? -1;
  }

  rows(): JournalRows<S> {
    return this.#table;
  }

  /** Reads the whole file afresh (through `handle`, whose descriptor must stay open while the
   *  index reads records back through it). */
  async load(handle: fs.FileHandle): Promise<RangeResult> {
    const fresh = new Table<T, B, S>(this.#newBriefs());
    const source = this.lean ? new LineSource(handle) : null;
    const read = await readRange(handle, 0, this.#rules, this.#placer(fresh, source));
    this.#table = fresh;
    // No row refers to the previous source any more.
    this.#source?.close();
    this.#source = source;
    this.#lines = read.lines - read.garbled;
    this.#known = read.end;
    this.#forgetOurs();
    return read;
  }

  /** Takes the index from a sidecar instead of reading the file (through `handle`, of `size`
   *  bytes, the size the sidecar stands for). Reads back `samples` lines spread over the file and
   *  checks each holds its key's record with the same brief; false (the index unchanged) when
   *  one does not, or the sidecar repeats a key. Gives the event loop a `turn` between its steps;
   *  nothing else may use the index until it is done (the journal's open awaits it). */
  async restore(handle: fs.FileHandle, data: SidecarData<B, S>, size: number, samples = 64, turn: Turn = nextTurn): Promise<boolean> {
    const n = data.keys.length;
    if (!this.lean || data.briefs.length !== n || data.at.length !== n || data.bytes.length !== n) return false;
    const source = new LineSource(handle);
    const fresh = new Table<T, B, S>(data.briefs, 0);
    // The sidecar's arrays are this read's own: taken, not copied.
    let ok = await fresh.adopt(data.keys, data.at, data.bytes, turn);
    const step = Math.max(1, Math.floor(n / samples));
    for (let i = 0, read = 0; ok && i < n; i += step, read++) {
      if (read > 0 && read % samplesPerTurn === 0) await turn();
      ok = this.#matches(fresh, source, i);
    }
    if (ok && n > 0) ok = this.#matches(fresh, source, n - 1);
    if (!ok) {
      source.close();
      return false;
    }
    this.#table = fresh;
    this.#source?.close();
    this.#source = source;
    this.#lines = data.lines;
    this.#known = size;
    this.#forgetOurs();
    this.#recent = [];
    return true;
  }

  /** The index as a sidecar would keep it, or null while some record is not yet located in the
   *  file (or the index holds records rather than briefs). Stands for the first `known` bytes.
   *  Its parts are the index's own: to be written before the index changes again. */
  snapshot(garbled: number): { known: number; data: SidecarData<B, S> } | null {
    const table = this.#table;
    if (!this.lean || this.#source === null || this.#ourBytes > 0 || table.held.size > 0) return null;
    const n = table.keys.length;
    return { known: this.#known, data: { lines: this.#lines, garbled, keys: table.keys, at: table.at.subarray(0, n), bytes: table.bytes.subarray(0, n), briefs: table.briefs } };
  }

  /** Brings the index up to the same file, now `size` bytes long. */
  async catchUp(handle: fs.FileHandle, size: number): Promise<void> {
    this.#recent = [];
    const expected = this.#known + this.#ourBytes;
    if (size < expected) {
      await this.load(handle);
      return;
    }
    if (size === expected) {
      // Only our lines were added, in the order we wrote them.
      let at = this.#known;
      for (const { row, bytes } of this.#unplaced) {
        this.#place(this.#table, row, at, bytes - 1, this.#source);
        at += bytes;
      }
      this.#known = size;
    } else {
      // Others appended: read from where we were; our own lines in that range apply again, in
      // file order, which changes nothing but gives them their place.
      const read = await readRange(handle, this.#known, this.#rules, this.#placer(this.#table, this.#source));
      this.#lines += read.lines - read.garbled - this.#ours;
      this.#known = read.end;
    }
    this.#forgetOurs();
  }

  /** Our lines since the last check, for a file another process swapped in; the index forgets them. */
  takeRecent(): string[] {
    const recent = this.#recent;
    this.#recent = [];
    return recent;
  }

  /** A line this process appended. */
  appended(record: T, line: string): void {
    const bytes = Buffer.byteLength(line);
    const row = this.#hold(this.#table, record);
    this.#lines++;
    this.#ours++;
    this.#ourBytes += bytes;
    this.#recent.push(line);
    this.#unplaced.push({ row, bytes });
  }

  /** Lines another process appended to the file after what the index reflects, read into a map of their own. */
  async readLate(handle: fs.FileHandle): Promise<Map<string, T>> {
    const late = new Map<string, T>();
    await readRange(handle, this.#known, this.#rules, (record) => late.set(this.#rules.key(record), record));
    return late;
  }

  /** After compaction wrote every live record, then the `late` ones, into a new file of `size`
   *  bytes (an index that holds its records only; a lean one loads the new file instead). */
  compacted(late: ReadonlyMap<string, T>, size: number): void {
    for (const record of late.values()) this.#hold(this.#table, record);
    this.#lines = this.size;
    this.#known = size;
    this.#forgetOurs();
    this.#recent = [];
  }

  /** Before the file's handle closes: records not held are no longer read back. */
  close(): void {
    this.#source?.close();
  }

  /** Mostly superseded lines, and enough of them to be worth rewriting. */
  needsCompaction(minLines: number, ratio: number): boolean {
    return this.#lines >= minLines && this.#lines > ratio * this.size;
  }

  /** Sets the record's row (its brief, the record held, its line not located). */
  #hold(table: Table<T, B, S>, record: T): number {
    const row = table.rowOf(this.#rules.key(record));
    if (this.#rules.brief) table.briefs.set(row, this.#rules.brief(record));
    table.held.set(row, record);
    table.at[row] = unplaced;
    return row;
  }

  #placer(table: Table<T, B, S>, source: LineSource | null) {
    return (record: T, at: number, bytes: number) => {
      const row = this.#hold(table, record);
      this.#place(table, row, at, bytes, source);
    };
  }

  #place(table: Table<T, B, S>, row: number, at: number, bytes: number, source: LineSource | null): void {
    if (!this.lean || !source) return;
    table.at[row] = at;
    table.bytes[row] = bytes;
    table.held.delete(row);
  }

  /** A row's record: held, or read back from its line (checked again: the file is not ours alone). */
  #recordOf(table: Table<T, B, S>, source: LineSource | null, key: string, row: number): T | undefined {
    const held = table.held.get(row);
    if (held !== undefined || !source || table.at[row] === unplaced) return held;
    const text = source.read(table.at[row], table.bytes[row]);
    const record = text === null ? null : parseLine(text, this.#rules);
    return record !== null && this.#rules.key(record) === key ? record : undefined;
  }

  /** The row's line holds its key's record, and the brief made of it is the row's. */
  #matches(table: Table<T, B, S>, source: LineSource, row: number): boolean {
    const record = this.#recordOf(table, source, table.keys[row], row);
    return record !== undefined && JSON.stringify(this.#rules.brief?.(record)) === JSON.stringify(table.briefs.get(row));
  }

  #forgetOurs(): void {
    this.#ourBytes = 0;
    this.#ours = 0;
    this.#unplaced = [];
  }
}
