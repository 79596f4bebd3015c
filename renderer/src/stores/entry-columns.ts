import type { ImageEntry, ScanBatch, ScanIdentities } from '../../../app/types';
import { batchRows, nameOf } from '../../../app/scan-batch';
import { grownTo } from '../../../app/typed-growth';

// A folder's listing as columns: ids in a plain array, sizes and mtimes in typed arrays. At
// 250,000 images an object per entry (and another per entry when sizes arrived) was most of the
// page's garbage and a fifth of a second of copying; readers that only need ids read `ids`, and
// an ImageEntry is made for the few entries shown at a time.

const firstCapacity = 1024;
/** Entries made and kept for asking again: the detail panel, the open image and the focus. */
const keptMax = 64;

export class EntryColumns {
  /** Grows in place between resets, so a reader can tell a grown listing from a new one. */
  #ids: string[] = [];
  #sizes = new Float64Array(firstCapacity);
  #mtimes = new Float64Array(firstCapacity);
  /** Entries handed out, by index, so asking again gives the same object until the row changes:
   *  a view holding one (the open image loads its record per entry) is not re-run for nothing. */
  #made = new Map<number, ImageEntry>();

  /** The ids in listing order; the same array while the listing grows. */
  get ids(): readonly string[] {
    return this.#ids;
  }

  get count(): number {
    return this.#ids.length;
  }

  /** Appends the rows all three columns of the batch have (a batch whose columns disagree in
   *  length gives only those). */
  append(batch: Pick<ScanBatch, 'ids' | 'sizes' | 'mtimes'>): void {
    const n = batchRows(batch);
    const from = this.#ids.length;
    this.reserve(from + n);
    const { ids, sizes, mtimes } = batch;
    const toIds = this.#ids;
    const toSizes = this.#sizes;
    const toMtimes = this.#mtimes;
    for (let i = 0; i < n; i++) {
      toIds.push(ids[i]);
      toSizes[from + i] = sizes[i];
      toMtimes[from + i] = mtimes[i];
    }
  }

  /** Writes sizes and mtimes of listed entries; answers how many rows it wrote. Rows beyond the
   *  shortest column, and positions not listed, are ignored. */
  identify({ at, sizes, mtimes }: Pick<ScanIdentities, 'at' | 'sizes' | 'mtimes'>): number {
    const n = Math.min(at.length, sizes.length, mtimes.length);
    const count = this.#ids.length;
    const toSizes = this.#sizes;
    const toMtimes = this.#mtimes;
    const made = this.#made;
    let written = 0;
    for (let k = 0; k < n; k++) {
      const i = at[k];
      if (!(i >= 0 && i < count)) continue;
      toSizes[i] = sizes[k];
      toMtimes[i] = mtimes[k];
      if (made.size > 0) made.delete(i);
      written++;
    }
    return written;
  }

  sizeAt(i: number): number {
    return i >= 0 && i < this.#ids.length ? this.#sizes[i] : -1;
  }

  /** The entry at `i` as an object, or undefined past the end: the same object while its row is
   *  unchanged (as long as it is among the last few asked for), a new one once its size came. */
  entryAt(i: number): ImageEntry | undefined {
    const id = this.#ids[i];
    if (id === undefined) return undefined;
    const kept = this.#made.get(i);
    if (kept) return kept;
    if (this.#made.size >= keptMax) this.#made.clear();
    const entry = { id, name: nameOf(id), size: this.#sizes[i], mtimeMs: this.#mtimes[i] };
    this.#made.set(i, entry);
    return entry;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.#sizes.length) return;
    const grown = Math.max(capacity, this.#sizes.length * 2);
    this.#sizes = grownTo(this.#sizes, grown);
    this.#mtimes = grownTo(this.#mtimes, grown);
  }
}
