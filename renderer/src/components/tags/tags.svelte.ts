import { tagCounts } from '../../../../app/annotations';
import type { CorrectionsStore } from '../../stores/corrections.svelte';

// Tags and notes in the window: the folder's tags with how many images carry each (the sidebar's
// facets and the picker's list), the tag filter (images carrying any chosen tag) as an allow-list
// of entry indices for the review store, and which images the tag picker is open for. Tags
// themselves live with the corrections (same journal, same undo/redo).

export class TagsStore {
  #selected = $state.raw<ReadonlySet<string>>(new Set());
  #pickerFor = $state.raw<readonly string[] | null>(null);
  readonly #corrections: CorrectionsStore;
  readonly #counts: Array<[string, number]>;

  constructor(corrections: CorrectionsStore) {
    this.#corrections = corrections;
    this.#counts = $derived(tagCounts(this.#corrections.byId.values()));
  }

  /** Every tag of the folder with its image count, in tag order. */
  get counts(): ReadonlyArray<readonly [string, number]> {
    return this.#counts;
  }

  get known(): string[] {
    return this.#counts.map(([tag]) => tag);
  }

  /** The tags the grid is filtered by (images carrying any of them); empty = no tag filter. */
  get selected(): ReadonlySet<string> {
    return this.#selected;
  }

  /** The images the tag picker is open for, or null when it is closed. */
  get pickerFor(): readonly string[] | null {
    return this.#pickerFor;
  }

  openPicker(ids: readonly string[]): void {
    if (ids.length > 0) this.#pickerFor = [...ids];
  }

  closePicker(): void {
    this.#pickerFor = null;
  }

  toggle(tag: string): void {
    const next = new Set(this.#selected);
    if (!next.delete(tag)) next.add(tag);
    this.#selected = next;
  }

  /** Filters by exactly these tags (a saved view being reopened). */
  select(tags: Iterable<string>): void {
    this.#selected = new Set(tags);
  }

  clear(): void {
    if (this.#selected.size > 0) this.#selected = new Set();
  }

  /** The entry indices the tag filter keeps, or null when it keeps every image. */
  allowed(ids: readonly string[]): ReadonlySet<number> | null {
    if (this.#selected.size === 0) return null;
    const byId = this.#corrections.byId;
    const out = new Set<number>();
    for (let i = 0; i < ids.length; i++) {
      const tags = byId.get(ids[i])?.tags;
      if (tags?.some((tag) => this.#selected.has(tag))) out.add(i);
    }
    return out;
  }
}
