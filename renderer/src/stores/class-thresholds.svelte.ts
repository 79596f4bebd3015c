import { classThresholdsKey, type ClassThresholdMap } from '../../../app/class-thresholds';
import type { AppError } from '../../../app/errors';
import type { SettingsStore } from './settings.svelte';

// Per-class threshold overrides of the open folder and current model. Main keeps them in the
// settings (so the CLI's evaluate uses them too); this store reads them from there and writes the
// whole map back through a settings patch.

export class ClassThresholdsStore {
  readonly #settings: SettingsStore;
  readonly #folderId: () => string;
  readonly #model: () => string;
  #error = $state<AppError | null>(null);

  constructor(settings: SettingsStore, folderId: () => string, model: () => string) {
    this.#settings = settings;
    this.#folderId = folderId;
    this.#model = model;
  }

  /** The overrides in force ({} for none). */
  get overrides(): Readonly<ClassThresholdMap> {
    const key = this.#key();
    return (key && this.#settings.value?.classThresholds?.[key]) || {};
  }

  get error(): AppError | null {
    return this.#error;
  }

  /** The class's own threshold, or null when it follows the default. */
  of(name: string): number | null {
    const overrides = this.overrides;
    return Object.prototype.hasOwnProperty.call(overrides, name) ? overrides[name] : null;
  }

  /** Gives a class its own threshold (0..1, to the hundredth). */
  async set(name: string, threshold: number): Promise<void> {
    const value = Math.min(1, Math.max(0, Math.round(threshold * 100) / 100));
    await this.#save({ ...this.overrides, [name]: value });
  }

  /** The class follows the default threshold again. */
  async clear(name: string): Promise<void> {
    const next = { ...this.overrides };
    delete next[name];
    await this.#save(next);
  }

  #key(): string {
    const folderId = this.#folderId();
    const model = this.#model();
    return folderId && model ? classThresholdsKey(folderId, model) : '';
  }

  async #save(next: ClassThresholdMap): Promise<void> {
    const key = this.#key();
    if (!key) return;
    const all = { ...(this.#settings.value?.classThresholds ?? {}) };
    if (Object.keys(next).length) all[key] = next;
    else delete all[key];
    this.#error = await this.#settings.update({ classThresholds: all });
  }
}
