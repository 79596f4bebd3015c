import type fs from 'node:fs/promises';
import { LineSource, parseLine, readRange, type RangeResult, type RecordRules } from './journal-read';
import type { SidecarData } from './journal-sidecar';

// A journal's in-memory index: the live record per key, and how much of the file it reflects, so
// a refresh reads only what other processes appended since and the line count (for compaction)
// stays true without rereading.
//
// With a `brief` rule the index keeps, per key, only that brief and where the record's line is
// (offset and length in the file it was read from), and reads the record back when asked: at
// 250,000 results the full records (raw responses) were most of main's memory. A record this
// process appended is held whole until a refresh learns where its line landed (with O_APPEND and
// other writers, only the file says). Offsets are only ever read through the handle of the file
// they were read from; the index is rebuilt before that handle closes.

interface Slot<T, B> {
  /** The record itself: always without a brief rule; with one, only until its line is located. */
  record: T | undefined;
  brief: B;
  at: number;
  bytes: number;
  source: LineSource | null;
}

export class JournalIndex<T, B = undefined> {
  #map = new Map<string, Slot<T, B>>();
  /** Valid lines in the file (live + superseded). */
  #lines = 0;
  /** Bytes of the file already applied to the map. */
  #known = 0;
  /** Bytes and lines this process appended since `#known`. */
  #ourBytes = 0;
  #ours = 0;
  /** Our lines since the last inode check: written again if another process swapped the file. */
  #recent: string[] = [];
  /** Our slots since `#known`, with their line's length, to be located in file order. */
  #unplaced: Array<{ slot: Slot<T, B>; bytes: number }> = [];
  #source: LineSource | null = null;

  readonly #rules: RecordRules<T, B>;

  constructor(rules: RecordRules<T, B>) {
    this.#rules = rules;
  }

  /** Records are read back from the file rather than held. */
  get lean(): boolean {
    return this.#rules.brief !== undefined;
  }

  get size(): number {
    return this.#map.size;
  }

  get lines(): number {
    return this.#lines;
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  get(key: string): T | undefined {
    const slot = this.#map.get(key);
    return slot && this.#recordOf(key, slot);
  }

  /** Live records in first-seen order (a record whose line can no longer be read is left out). */
  *values(): IterableIterator<T> {
    for (const [key, slot] of this.#map) {
      const record = this.#recordOf(key, slot);
      if (record !== undefined) yield record;
    }
  }

  brief(key: string): B | undefined {
    return this.#map.get(key)?.brief;
  }

  /** Each live key's brief, in first-seen order. */
  *briefs(): IterableIterator<[string, B]> {
    for (const [key, slot] of this.#map) yield [key, slot.brief];
  }

  /** Reads the whole file afresh (through `handle`, whose descriptor must stay open while the
   *  index reads records back through it). */
  async load(handle: fs.FileHandle): Promise<RangeResult> {
    const fresh = new Map<string, Slot<T, B>>();
    const source = this.lean ? new LineSource(handle) : null;
    const read = await readRange(handle, 0, this.#rules, this.#placer(fresh, source));
    this.#map = fresh;
    // No slot refers to the previous source any more.
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
   *  one does not, or the sidecar repeats a key. */
  restore(handle: fs.FileHandle, data: SidecarData<B>, size: number, samples = 64): boolean {
    if (!this.lean) return false;
    const source = new LineSource(handle);
    const fresh = new Map<string, Slot<T, B>>();
    for (let i = 0; i < data.keys.length; i++) {
      fresh.set(data.keys[i], { record: undefined, brief: data.briefs[i], at: data.at[i], bytes: data.bytes[i], source });
    }
    const n = data.keys.length;
    const step = Math.max(1, Math.floor(n / samples));
    let ok = fresh.size === n;
    for (let i = 0; ok && i < n; i += step) ok = this.#matches(data.keys[i], fresh.get(data.keys[i])!);
    if (ok && n > 0) ok = this.#matches(data.keys[n - 1], fresh.get(data.keys[n - 1])!);
    if (!ok) {
      source.close();
      return false;
    }
    this.#map = fresh;
    this.#source?.close();
    this.#source = source;
    this.#lines = data.lines;
    this.#known = size;
    this.#forgetOurs();
    this.#recent = [];
    return true;
  }

  /** The index as a sidecar would keep it, or null while some record is not yet located in the
   *  file (or the index holds records rather than briefs). Stands for the first `known` bytes. */
  snapshot(garbled: number): { known: number; data: SidecarData<B> } | null {
    if (!this.lean || this.#ourBytes > 0) return null;
    const keys: string[] = [];
    const at: number[] = [];
    const bytes: number[] = [];
    const briefs: B[] = [];
    for (const [key, slot] of this.#map) {
      if (slot.source !== this.#source || slot.source === null || slot.record !== undefined) return null;
      keys.push(key);
      at.push(slot.at);
      bytes.push(slot.bytes);
      briefs.push(slot.brief);
    }
    return { known: this.#known, data: { lines: this.#lines, garbled, keys, at, bytes, briefs } };
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
      for (const { slot, bytes } of this.#unplaced) {
        this.#place(slot, at, bytes - 1, this.#source);
        at += bytes;
      }
      this.#known = size;
    } else {
      // Others appended: read from where we were; our own lines in that range apply again, in
      // file order, which changes nothing but gives them their place.
      const read = await readRange(handle, this.#known, this.#rules, this.#placer(this.#map, this.#source));
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
    const slot: Slot<T, B> = { record, brief: this.#briefOf(record), at: -1, bytes: 0, source: null };
    this.#map.set(this.#rules.key(record), slot);
    this.#lines++;
    this.#ours++;
    this.#ourBytes += bytes;
    this.#recent.push(line);
    this.#unplaced.push({ slot, bytes });
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
    for (const [key, record] of late) this.#map.set(key, { record, brief: this.#briefOf(record), at: -1, bytes: 0, source: null });
    this.#lines = this.#map.size;
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
    return this.#lines >= minLines && this.#lines > ratio * this.#map.size;
  }

  #placer(map: Map<string, Slot<T, B>>, source: LineSource | null) {
    return (record: T, at: number, bytes: number) => {
      const slot: Slot<T, B> = { record, brief: this.#briefOf(record), at: -1, bytes: 0, source: null };
      this.#place(slot, at, bytes, source);
      map.set(this.#rules.key(record), slot);
    };
  }

  #place(slot: Slot<T, B>, at: number, bytes: number, source: LineSource | null): void {
    if (!this.lean || !source) return;
    slot.at = at;
    slot.bytes = bytes;
    slot.source = source;
    slot.record = undefined;
  }

  #briefOf(record: T): B {
    return this.#rules.brief ? this.#rules.brief(record) : (undefined as B);
  }

  /** A slot's record: held, or read back from its line (checked again: the file is not ours alone). */
  #recordOf(key: string, slot: Slot<T, B>): T | undefined {
    if (slot.record !== undefined || !slot.source) return slot.record;
    const text = slot.source.read(slot.at, slot.bytes);
    const record = text === null ? null : parseLine(text, this.#rules);
    return record !== null && this.#rules.key(record) === key ? record : undefined;
  }

  /** The slot's line holds its key's record, and the brief made of it is the slot's. */
  #matches(key: string, slot: Slot<T, B>): boolean {
    const record = this.#recordOf(key, slot);
    return record !== undefined && JSON.stringify(this.#briefOf(record)) === JSON.stringify(slot.brief);
  }

  #forgetOurs(): void {
    this.#ourBytes = 0;
    this.#ours = 0;
    this.#unplaced = [];
  }
}
