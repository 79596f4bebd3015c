import type { ListedImage, ScanBatch } from '../../../app/types';
import { nameOf } from '../../../app/scan-batch';
import { appendIds } from '../../../app/front-coded';

// A folder's listing in the page: its ids in one plain array. At 250,000 images an object per
// entry was most of the page's garbage; readers that only need ids read `ids`, and a ListedImage
// is made for the few entries shown at a time. Sizes and dates are not listed: the details ask
// main for them (image-facts.svelte.ts).

/** Entries made and kept for asking again: the detail panel, the open image and the focus. */
const keptMax = 64;

export class ListedImages {
  /** Grows in place between resets, so a reader can tell a grown listing from a new one. */
  #ids: string[] = [];
  /** Entries handed out, by index, so asking again gives the same object: a view holding one
   *  (the open image loads its record per entry) is not re-run for nothing. */
  #made = new Map<number, ListedImage>();

  /** The ids in listing order; the same array while the listing grows. */
  get ids(): readonly string[] {
    return this.#ids;
  }

  get count(): number {
    return this.#ids.length;
  }

  append(batch: Pick<ScanBatch, 'ids'>): void {
    appendIds(batch.ids, this.#ids);
  }

  /** The entry at `i` as an object, or undefined past the end: the same object as long as it is
   *  among the last few asked for. */
  entryAt(i: number): ListedImage | undefined {
    const id = this.#ids[i];
    if (id === undefined) return undefined;
    const kept = this.#made.get(i);
    if (kept) return kept;
    if (this.#made.size >= keptMax) this.#made.clear();
    const entry = { id, name: nameOf(id) };
    this.#made.set(i, entry);
    return entry;
  }
}
