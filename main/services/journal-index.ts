import type fs from 'node:fs/promises';
import { readRange, type RangeResult, type RecordRules } from './journal-read';

// A journal's in-memory index: the live record per key, and how much of the file it reflects, so
// a refresh reads only what other processes appended since and the line count (for compaction)
// stays true without rereading.

export class JournalIndex<T> {
  #map = new Map<string, T>();
  /** Valid lines in the file (live + superseded). */
  #lines = 0;
  /** Bytes of the file already applied to the map. */
  #known = 0;
  /** Bytes and lines this process appended since `#known`. */
  #ourBytes = 0;
  #ours = 0;
  /** Our lines since the last inode check: written again if another process swapped the file. */
  #recent: string[] = [];

  readonly #rules: RecordRules<T>;

  constructor(rules: RecordRules<T>) {
    this.#rules = rules;
  }

  get records(): ReadonlyMap<string, T> {
    return this.#map;
  }

  get lines(): number {
    return this.#lines;
  }

  /** Reads the whole file afresh. */
  async load(handle: fs.FileHandle): Promise<RangeResult> {
    const fresh = new Map<string, T>();
    const read = await readRange(handle, 0, this.#rules, fresh);
    this.#map = fresh;
    this.#lines = read.lines - read.garbled;
    this.#known = read.end;
    this.#forgetOurs();
    return read;
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
      this.#known = size;
    } else {
      // Others appended: read from where we were; our own lines in that range apply again, in
      // file order, which changes nothing.
      const read = await readRange(handle, this.#known, this.#rules, this.#map);
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
    this.#map.set(this.#rules.key(record), record);
    this.#lines++;
    this.#ours++;
    this.#ourBytes += Buffer.byteLength(line);
    this.#recent.push(line);
  }

  /** Lines another process appended to the file after what the index reflects, read into a map of their own. */
  async readLate(handle: fs.FileHandle): Promise<Map<string, T>> {
    const late = new Map<string, T>();
    await readRange(handle, this.#known, this.#rules, late);
    return late;
  }

  /** After compaction wrote every live record, then the `late` ones, into a new file of `size` bytes. */
  compacted(late: ReadonlyMap<string, T>, size: number): void {
    for (const [key, record] of late) this.#map.set(key, record);
    this.#lines = this.#map.size;
    this.#known = size;
    this.#forgetOurs();
    this.#recent = [];
  }

  /** Mostly superseded lines, and enough of them to be worth rewriting. */
  needsCompaction(minLines: number, ratio: number): boolean {
    return this.#lines >= minLines && this.#lines > ratio * this.#map.size;
  }

  #forgetOurs(): void {
    this.#ourBytes = 0;
    this.#ours = 0;
  }
}
