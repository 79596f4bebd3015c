import type { Api } from '../../../app/contract';
import type { AppError } from '../../../app/errors';
import type { JobItemEvent, JobProgress, ResultSummary } from '../../../app/types';
import { parseImageUrls } from '../../../app/web-url';
import { toAppError } from '../api';
import { isActive, stepsBack } from './job-progress';

// The open folder's "Web images": https image URLs classified through the hosted-image route. Their
// jobs run beside the folder's run (their progress carries `web: true`); results are stored with
// the folder's and come back from `webImages` when the folder opens.

export interface WebItem {
  /** The URL (its id in the results). */
  id: string;
  result?: ResultSummary;
  live?: 'queued' | 'running';
}

const maxPerPaste = 100;

export class WebImagesStore {
  /** In the order they were first added (the list shows the newest first). */
  #items = $state.raw<WebItem[]>([]);
  get items() {
    return this.#items;
  }
  #progress = $state.raw<JobProgress | null>(null);
  get progress() {
    return this.#progress;
  }
  #error = $state.raw<AppError | null>(null);
  get error() {
    return this.#error;
  }
  #loading = $state(false);
  get loading() {
    return this.#loading;
  }
  #busy = $state(false);
  get busy() {
    return this.#busy;
  }

  readonly active = $derived(isActive(this.#progress));
  private folderId = '';

  constructor(private readonly api: Api) {}

  /** Forgets the previous folder's list and loads this one's stored results. */
  async load(folderId: string): Promise<void> {
    this.folderId = folderId;
    this.#items = [];
    this.#progress = null;
    this.#error = null;
    this.#loading = true;
    try {
      const stored = await this.api.webImages({ folderId });
      if (folderId !== this.folderId) return;
      this.merge(stored.map((result) => ({ id: result.id, result })), false);
    } catch (error) {
      if (folderId === this.folderId) this.#error = toAppError(error);
    } finally {
      if (folderId === this.folderId) this.#loading = false;
    }
  }

  clear(): void {
    this.folderId = '';
    this.#items = [];
    this.#progress = null;
    this.#error = null;
  }

  /** Classifies the URLs in `text`; answers an error to show by the field, or null. */
  async classify(text: string): Promise<AppError | null> {
    const folderId = this.folderId;
    if (!folderId) return { code: 'invalid_input', message: 'Open a folder first: web images are kept with its results.' };
    const { urls, rejected } = parseImageUrls(text);
    if (rejected.length > 0) {
      return { code: 'invalid_input', message: `"${rejected[0].slice(0, 80)}" is not an https image URL. Paste addresses that start with https://.` };
    }
    if (urls.length === 0) return { code: 'invalid_input', message: 'Paste an image address that starts with https://.' };
    if (urls.length > maxPerPaste) return { code: 'invalid_input', message: `Paste at most ${maxPerPaste} image URLs at a time.` };
    this.#busy = true;
    this.#error = null;
    const known = new Map(this.#items.map((item) => [item.id, item]));
    this.merge(
      urls.map((id) => ({ ...known.get(id), id, live: known.get(id)?.result?.status === 'done' ? undefined : 'queued' })),
      true,
    );
    try {
      this.onProgress(await this.api.classifyUrls({ folderId, urls }));
      return null;
    } catch (error) {
      this.clearLive();
      return toAppError(error);
    } finally {
      this.#busy = false;
    }
  }

  onJobItem(item: JobItemEvent): void {
    if (item.folderId !== this.folderId) return;
    const known = this.#items.find((entry) => entry.id === item.id);
    const next: WebItem =
      item.state === 'running' ? { ...known, id: item.id, live: 'running' } : { id: item.id, result: item.result ?? known?.result };
    this.merge([next], false);
  }

  onProgress(progress: JobProgress): void {
    if (!progress.web || progress.folderId !== this.folderId) return;
    if (stepsBack(this.#progress, progress)) return;
    this.#progress = progress;
    if (!isActive(progress)) {
      this.clearLive();
      if (progress.state === 'stopped' && progress.error) this.#error = progress.error;
    }
  }

  async cancel(): Promise<void> {
    const jobId = this.active ? this.#progress?.jobId : undefined;
    if (!jobId) return;
    try {
      const next = await this.api.cancelJob({ jobId });
      if (next) this.onProgress({ ...next, web: true });
    } catch (error) {
      this.#error = toAppError(error);
    }
  }

  private clearLive(): void {
    if (this.#items.some((item) => item.live)) this.#items = this.#items.map((item) => (item.live ? { id: item.id, result: item.result } : item));
  }

  /** Replaces known items in place and appends new ones; `moveToEnd` puts re-pasted URLs newest. */
  private merge(updates: WebItem[], moveToEnd: boolean): void {
    const byId = new Map(updates.map((item) => [item.id, item]));
    const kept = this.#items.filter((item) => !byId.has(item.id) || !moveToEnd).map((item) => byId.get(item.id) ?? item);
    const keptIds = new Set(kept.map((item) => item.id));
    this.#items = [...kept, ...updates.filter((item) => !keptIds.has(item.id))];
  }
}
