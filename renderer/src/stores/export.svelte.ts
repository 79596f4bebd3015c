import type { Api, Events } from '../../../app/contract';
import { exportFormats, type ExportFormat } from '../../../app/export-formats';
import { plural } from '../../../app/format';
import { skippedText } from '../../../app/export-rows';
import { toAppError } from '../api';
import type { Notice } from './ui.svelte';

// One export at a time from the window: what is being written, how far it got (main's
// `exportProgress` events), and Cancel.

export class ExportStore {
  /** The format being written, or null when no export runs. */
  #running = $state<ExportFormat | null>(null);
  get running() {
    return this.#running;
  }
  #progress = $state.raw<Events['exportProgress'] | null>(null);
  get progress() {
    return this.#progress;
  }
  #cancelling = $state(false);
  get cancelling() {
    return this.#cancelling;
  }
  /** True once an export has taken a moment: a quick one finishes without a flashing bar. */
  #visible = $state(false);
  get visible() {
    return this.#visible;
  }

  constructor(private readonly api: Api) {}

  /** Exports the folder (or only `ids`; class folders with or without sub-folders, main's default
   *  keeps them); answers what to tell the user, or null when the dialog was cancelled. */
  async run(folderId: string, format: ExportFormat, ids?: string[], options: { keepSubfolders?: boolean } = {}): Promise<Notice | null> {
    if (this.#running) return { kind: 'info', title: 'An export is already running', text: 'Wait for it to finish, or cancel it in the status bar.' };
    this.#running = format;
    this.#progress = null;
    this.#cancelling = false;
    const reveal = setTimeout(() => (this.#visible = true), 300);
    try {
      const done = await this.api.exportResults({ folderId, format, ids, ...(options.keepSubfolders === undefined ? {} : { keepSubfolders: options.keepSubfolders }) });
      if (!done) return null;
      const images = plural(done.count, 'image');
      // A file says what it holds by its name; a folder of images is told by its format's name.
      const what = exportFormats[format].target === 'file' ? images : `${images} as ${exportFormats[format].name}`;
      const gap = skippedText(done.skipped ?? []);
      return { kind: 'info', title: 'Exported', text: `${what} to ${done.path}${gap ? `. ${gap}` : ''}` };
    } catch (error) {
      const failure = toAppError(error);
      if (failure.code === 'cancelled') return { kind: 'info', title: 'Export cancelled', text: failure.message };
      return { kind: 'error', title: 'Export failed', text: failure.message };
    } finally {
      clearTimeout(reveal);
      this.#visible = false;
      this.#running = null;
      this.#progress = null;
      this.#cancelling = false;
    }
  }

  onProgress(progress: Events['exportProgress']): void {
    if (this.#running) this.#progress = progress;
  }

  async cancel(): Promise<void> {
    if (!this.#running) return;
    this.#cancelling = true;
    await this.api.cancelExport({}).catch(() => undefined);
  }
}
