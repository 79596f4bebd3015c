import type { Api } from '../../../app/contract';
import type { AppError } from '../../../app/errors';
import type { JobProgress } from '../../../app/types';
import { toAppError } from '../api';
import { isActive, stepsBack } from './job-progress';
import type { LibraryStore } from './library.svelte';
import type { ReviewStore } from './review.svelte';

// The current classification job of the open folder: start, pause, resume, cancel, and its
// progress as main reports it.

export type RunMode = 'new' | 'selected' | 'failed' | 'force';

export class JobStore {
  #progress = $state.raw<JobProgress | null>(null);
  get progress() {
    return this.#progress;
  }
  /** A failure that stops the run (bad key, unknown model...), shown as one banner. */
  #banner = $state.raw<AppError | null>(null);
  get banner() {
    return this.#banner;
  }
  #busy = $state(false);
  get busy() {
    return this.#busy;
  }

  readonly active = $derived(isActive(this.#progress));

  constructor(
    private readonly api: Api,
    private readonly library: LibraryStore,
    private readonly review: ReviewStore,
  ) {}

  async start(mode: RunMode, selected: string[] = []): Promise<void> {
    const folderId = this.library.folder?.folderId;
    if (!folderId || this.#busy) return;
    this.#busy = true;
    this.#banner = null;
    try {
      const request =
        mode === 'selected'
          ? { folderId, ids: selected }
          : mode === 'failed'
            ? { folderId, failedOnly: true }
            : mode === 'force'
              ? { folderId, force: true }
              : { folderId };
      const queued =
        mode === 'selected'
          ? selected
          : mode === 'failed'
            ? this.review.idsWhere((r) => r?.status === 'error')
            : mode === 'force'
              ? this.library.ids.slice()
              : this.review.idsWhere((r) => r === undefined || r.stale);
      this.review.markQueued(queued);
      this.onProgress(await this.api.startJob(request));
    } catch (error) {
      this.review.clearLive();
      this.#banner = toAppError(error);
    } finally {
      this.#busy = false;
    }
  }

  async pause(): Promise<void> {
    await this.control((jobId) => this.api.pauseJob({ jobId }));
  }

  async resume(): Promise<void> {
    await this.control((jobId) => this.api.resumeJob({ jobId }));
  }

  async cancel(): Promise<void> {
    await this.control((jobId) => this.api.cancelJob({ jobId }));
  }

  private async control(call: (jobId: string) => Promise<JobProgress | null>): Promise<void> {
    const jobId = this.#progress?.jobId;
    if (!jobId) return;
    try {
      const next = await call(jobId);
      if (next) this.onProgress(next);
    } catch (error) {
      this.#banner = toAppError(error);
    }
  }

  onProgress(progress: JobProgress): void {
    // Web-image jobs run beside the folder's run and show their own progress in the Web images list.
    if (progress.web || progress.folderId !== this.library.folder?.folderId) return;
    if (stepsBack(this.#progress, progress)) return;
    this.#progress = progress;
    if (!isActive(progress)) {
      this.review.flush();
      this.review.clearLive();
      if (progress.state === 'stopped' && progress.error) this.#banner = progress.error;
    }
  }

  /** The person dismissed the run's banner. */
  dismissBanner(): void {
    this.#banner = null;
  }

  /** Forgets the job of the previous folder (a running job keeps running in main). */
  clear(): void {
    this.#progress = null;
    this.#banner = null;
  }
}
