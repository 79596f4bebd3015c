import type { ImageEntry } from '../../app/types';
import { grownTo } from './typed-growth';

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
  readonly #ids: string[] = [];
  #sizes = new Float64Array(firstRows);
  #mtimes = new Float64Array(firstRows);

  get size(): number {
    return this.#ids.length;
  }

  has(id: string): boolean {
    return this.#rows.has(id);
  }

  /** A fresh entry object: changing it changes nothing here (`set` does). */
  get(id: string): ImageEntry | undefined {
    const row = this.#rows.get(id);
    return row === undefined ? undefined : this.#entry(row);
  }

  /** The entry's name is its id's last segment, as the scan names it. */
  set(id: string, entry: ImageEntry): this {
    this.put(id, entry.size, entry.mtimeMs);
    return this;
  }

  /** Adds or updates an entry without an object for it (an entry keeps its first-listed place). */
  put(id: string, size: number, mtimeMs: number): void {
    let row = this.#rows.get(id);
    if (row === undefined) {
      row = this.#ids.length;
      if (row === this.#sizes.length) this.#grow();
      this.#rows.set(id, row);
      this.#ids.push(id);
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
