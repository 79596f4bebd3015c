import type { AppError } from '../../../../app/errors';
import { captureView, renamedView, viewNameProblem, withoutView, withView, type SavedView } from '../../../../app/saved-views';
import type { SortKey, ViewFilter } from '../../../../app/view-filter';
import type { SettingsStore } from '../../stores/settings.svelte';

// Saved views of the open folder, as the settings hold them (main validates and stores them), and
// whether the Views dialog (V) is open. Every change is one settings update of the folder's list.

export class SavedViewsStore {
  #open = $state(false);
  #error = $state<string | null>(null);
  readonly #settings: SettingsStore;
  readonly #folderId: () => string;

  constructor(settings: SettingsStore, folderId: () => string) {
    this.#settings = settings;
    this.#folderId = folderId;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Why the last change was refused (or failed), for the dialog. */
  get error(): string | null {
    return this.#error;
  }

  /** The open folder's views, newest first. */
  get list(): readonly SavedView[] {
    const id = this.#folderId();
    return (id && this.#settings.value?.savedViews[id]) || [];
  }

  open(): void {
    if (this.#folderId()) {
      this.#error = null;
      this.#open = true;
    }
  }

  close(): void {
    this.#open = false;
  }

  /** Saves the current view under `name` (replacing a view of that name). */
  save(name: string, filter: ViewFilter, sort: SortKey, threshold: number, tags: Iterable<string>): Promise<boolean> {
    const problem = viewNameProblem(name);
    if (problem) return this.#refuse(problem);
    return this.#write(withView(this.list, captureView(name, filter, sort, threshold, tags)));
  }

  rename(from: string, to: string): Promise<boolean> {
    const problem = viewNameProblem(to);
    if (problem) return this.#refuse(problem);
    const next = renamedView(this.list, from, to);
    return next ? this.#write(next) : this.#refuse(`A view named "${to.trim()}" exists already.`);
  }

  remove(name: string): Promise<boolean> {
    return this.#write(withoutView(this.list, name));
  }

  #refuse(message: string): Promise<boolean> {
    this.#error = message;
    return Promise.resolve(false);
  }

  async #write(views: SavedView[]): Promise<boolean> {
    const id = this.#folderId();
    const all = this.#settings.value?.savedViews ?? {};
    if (!id) return false;
    const next = { ...all };
    if (views.length) next[id] = views;
    else delete next[id];
    const error: AppError | null = await this.#settings.update({ savedViews: next });
    this.#error = error?.message ?? null;
    return error === null;
  }
}
