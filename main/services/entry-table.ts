import type { ImageEntry } from '../../app/types';
import { grownTo } from '../../app/typed-growth';

// A folder's entries as main keeps them: per id a row, sizes and mtimes in typed columns, an
// `ImageEntry` made when one is asked for. At 250,000 images the entry objects (with their name
// string and boxed mtime) were ~100 bytes an image more than the id and its row.

/** How services read a folder's entries (a Map of entries is one: the CLI and tests use them). */
export interface Entries {
  readonly size: number;
  get(id: string): ImageEntry | undefined;
  has(id: string): boolean;
  set(id: string, entry: ImageEntry): unknown;
  keys(): IterableIterator<string>;
  /** Entries in first-listed order. */
  values(): IterableIterator<ImageEntry>;
}

const firstRows = 1024;

export class EntryTable implements Entries {
  readonly #rows = new Map<string, number>();
  #ids: string[] = [];
  #sizes: Float64Array = new Float64Array(firstRows);
  #mtimes: Float64Array = new Float64Array(firstRows);
  /** Rows below this are in `#rows`. Rows taken whole (`adopt`) are indexed only when an id is
   *  looked up or added, or in steps (`indexUpTo`): at 250,000 ids the Map alone cost 0.3–1 s of
   *  a cached re-open that needs no lookup. */
  #indexed = 0;
  /** The row identityOf tries first. */
  #next = 0;
  /** An id met twice while indexing (only a forged listing has one): the first row keeps it. */
  #repeated = false;

  get size(): number {
    return this.#ids.length;
  }

  has(id: string): boolean {
    this.indexUpTo(this.#ids.length);
    return this.#rows.has(id);
  }

  /** A fresh entry object: changing it changes nothing here (`set` does). */
  get(id: string): ImageEntry | undefined {
    this.indexUpTo(this.#ids.length);
    const row = this.#rows.get(id);
    return row === undefined ? undefined : this.#entry(row);
  }

  /** An entry's size and mtime, as get() gives them, found without indexing the table when ids
   *  are asked for in its order (the rows of a folder classified in listing order): the row after
   *  the last one found is tried first. At 250,000 results a page of them built the whole index
   *  and looked each id up (0.4 s of main per load, profiled). For a listing naming an id twice
   *  (only a forged one: `repeated`), either row's. */
  identityOf(id: string): { size: number; mtimeMs: number } | undefined {
    let row: number | undefined = this.#next;
    if (this.#ids[row] !== id) {
      this.indexUpTo(this.#ids.length);
      row = this.#rows.get(id);
      if (row === undefined) return undefined;
    }
    this.#next = row + 1;
    return { size: this.#sizes[row], mtimeMs: this.#mtimes[row] };
  }

  /** Takes a whole listing as the rows of an empty table (the arrays are the table's from now on). */
  adopt(ids: string[], sizes: Float64Array, mtimes: Float64Array): void {
    if (this.#ids.length) throw new Error('adopt needs an empty table');
    this.#ids = ids;
    this.#sizes = ids.length ? sizes : new Float64Array(firstRows);
    this.#mtimes = ids.length ? mtimes : new Float64Array(firstRows);
    this.#indexed = 0;
  }

  /** Indexes the rows below `rows` (lookups do it for all of them at once). */
  indexUpTo(rows: number): void {
    const end = Math.min(rows, this.#ids.length);
    for (let row = this.#indexed; row < end; row++) {
      const id = this.#ids[row];
      if (this.#rows.has(id)) this.#repeated = true;
      else this.#rows.set(id, row);
    }
    if (end > this.#indexed) this.#indexed = end;
  }

  /** Whether an id was found on two rows (only possible through `adopt`); known once indexed. */
  get repeated(): boolean {
    return this.#repeated;
  }

  /** Row `row`'s id, size and mtime, without an entry object. */
  idAt(row: number): string {
    return this.#ids[row];
  }

  sizeAt(row: number): number {
    return this.#sizes[row];
  }

  mtimeAt(row: number): number {
    return this.#mtimes[row];
  }

  /** The rows as columns (views of the table's own arrays: read them before the table changes). */
  columns(): { ids: readonly string[]; sizes: Float64Array; mtimes: Float64Array } {
    const n = this.#ids.length;
    return { ids: this.#ids, sizes: this.#sizes.subarray(0, n), mtimes: this.#mtimes.subarray(0, n) };
  }

  /** The entry's name is its id's last segment, as the scan names it. */
  set(id: string, entry: ImageEntry): this {
    this.put(id, entry.size, entry.mtimeMs);
    return this;
  }

  /** Adds or updates an entry without an object for it (an entry keeps its first-listed place). */
  put(id: string, size: number, mtimeMs: number): void {
    this.indexUpTo(this.#ids.length);
    let row = this.#rows.get(id);
    if (row === undefined) {
      row = this.#ids.length;
      if (row === this.#sizes.length) this.#grow();
      this.#rows.set(id, row);
      this.#ids.push(id);
      this.#indexed = this.#ids.length;
    }
    this.#sizes[row] = size;
    this.#mtimes[row] = mtimeMs;
  }

  keys(): IterableIterator<string> {
    return this.#ids.values();
  }

  *values(): IterableIterator<ImageEntry> {
    // Rows added while iterating are reached too, as a Map's iterator reaches them.
    for (let row = 0; row < this.#ids.length; row++) yield this.#entry(row);
  }

  #entry(row: number): ImageEntry {
    const id = this.#ids[row];
    return { id, name: id.slice(id.lastIndexOf('/') + 1), size: this.#sizes[row], mtimeMs: this.#mtimes[row] };
  }

  #grow(): void {
    const capacity = this.#sizes.length * 2;
    this.#sizes = grownTo(this.#sizes, capacity);
    this.#mtimes = grownTo(this.#mtimes, capacity);
  }
}
