import { untrack } from 'svelte';
import type { Api } from '../../../app/contract';
import type { AppError } from '../../../app/errors';
import type { Settings } from '../../../app/settings';
import type { Engine } from '../../../app/model-ref';
import type { JobItemEvent, JobProgress, ResultRecord, ResultSummary } from '../../../app/types';
import { comparable, disagreements } from '../../../app/compare';
import { toAppError } from '../api';
import { isActive, stepsBack } from './job-progress';
import type { LibraryStore } from './library.svelte';
import { Batch, readResultPages, StaleMarks } from './result-pages';
import { ResultTable, type ResultSnapshot } from '../../../app/result-table';
import type { ReviewStore } from './review.svelte';

// Model comparison: the second model's results for the open folder (stored by main per folder +
// endpoint + model, asked for by model), its run (a job of its own in main, whose events carry
// `compare`), and where the two models disagree at the current threshold, for the grid's
// "Models disagree" filter and the detail view's side-by-side.

export class CompareStore {
  /** Show only the images the two models disagree on. */
  #onlyDisagree = $state(false);
  get onlyDisagree() {
    return this.#onlyDisagree;
  }
  #progress = $state.raw<JobProgress | null>(null);
  get progress() {
    return this.#progress;
  }
  /** Why the comparison run stopped or could not start / load. */
  #error = $state.raw<AppError | null>(null);
  get error() {
    return this.#error;
  }
  #busy = $state(false);
  get busy() {
    return this.#busy;
  }
  #loading = $state(false);
  get loading() {
    return this.#loading;
  }
  #version = $state(0);
  get version() {
    return this.#version;
  }

  /** The comparison model ('' when none is set, or when it is the current model on the current engine). */
  readonly model: string;
  /** The comparison model's engine. */
  readonly engine: Engine;
  /** The two models as the window names them: the engine is added when they run on different ones. */
  readonly label: string;
  readonly firstLabel: string;
  /** Its results aligned with the library's entries. */
  readonly aligned: ResultSnapshot;
  /** Entry indices where the models disagree at the review threshold. */
  readonly disagree: Set<number>;
  /** Images both models classified. */
  readonly comparable: number;
  readonly active: boolean;

  private table: ResultTable;
  private items = new Batch<JobItemEvent>((items) => this.applyItems(items));
  private loadToken = 0;
  private staleMarks: StaleMarks;
  /** The model each comparison job runs, by job id (a job may outlive a change of the setting). */
  private jobModels = new Map<string, string>();

  constructor(
    private readonly api: Api,
    private readonly library: LibraryStore,
    private readonly review: ReviewStore,
    private readonly settings: () => Settings | null,
  ) {
    this.engine = $derived.by(() => {
      const s = this.settings();
      return s?.compareEngine || s?.engine || 'roboflow-api';
    });
    this.model = $derived.by(() => {
      const s = this.settings();
      return s && s.compareModel && (s.compareModel !== s.model || this.engine !== s.engine) ? s.compareModel : '';
    });
    const engineNote = (engine: Engine) => (engine === 'on-device' ? ' (this computer)' : ' (API)');
    this.label = $derived.by(() => {
      const s = this.settings();
      return this.model + (s && this.engine !== s.engine ? engineNote(this.engine) : '');
    });
    this.firstLabel = $derived.by(() => {
      const s = this.settings();
      return (s?.model ?? '') + (s && this.model && this.engine !== s.engine ? engineNote(s.engine) : '');
    });
    this.table = new ResultTable(library);
    this.staleMarks = new StaleMarks(api, (ids) => {
      if (this.table.markStale(ids) > 0) this.#version += 1;
    });
    this.aligned = $derived.by(() => {
      void this.#version;
      void this.library.version;
      return this.table.snapshot();
    });
    this.disagree = $derived(this.model ? disagreements(this.review.aligned, this.aligned, this.review.rule) : new Set<number>());
    this.comparable = $derived(this.model ? comparable(this.review.aligned, this.aligned) : 0);
    this.active = $derived(isActive(this.#progress));

    // Results are kept per folder + endpoint + model: load them again when any of those changes
    // (a string, so other settings changing do not reload).
    const source = $derived.by(() => {
      const s = this.settings();
      return JSON.stringify([this.library.folder?.folderId ?? '', this.model, this.engine, s?.endpointKind, s?.endpointUrl]);
    });
    $effect(() => {
      void source;
      untrack(() => void this.reload(this.library.folder?.folderId ?? '', this.model, this.engine));
    });
  }

  /** Turns the "Models disagree" filter on or off. */
  setOnlyDisagree(on: boolean): void {
    this.#onlyDisagree = on;
  }

  /** The filter hook of the review store: the disagreeing images while the filter is on. */
  readonly allowed = (): ReadonlySet<number> | null => (this.#onlyDisagree && this.model ? this.disagree : null);

  result(id: string): ResultSummary | undefined {
    void this.#version;
    void this.library.version;
    return this.table.resultOf(id);
  }

  detail(id: string): Promise<ResultRecord | null> {
    const folderId = this.library.folder?.folderId;
    if (!folderId || !this.model) return Promise.resolve(null);
    return this.api.resultDetail({ folderId, id, model: this.model, engine: this.engine });
  }

  /** Runs the comparison model over the folder's images it has not classified yet. */
  async run(force = false): Promise<void> {
    const folderId = this.library.folder?.folderId;
    if (!folderId || !this.model || this.#busy) return;
    this.#busy = true;
    this.#error = null;
    try {
      this.onProgress(await this.api.startJob({ folderId, model: this.model, engine: this.engine, ...(force ? { force } : {}) }));
    } catch (error) {
      this.#error = toAppError(error);
    } finally {
      this.#busy = false;
    }
  }

  async cancel(): Promise<void> {
    const jobId = this.#progress?.jobId;
    if (!jobId) return;
    try {
      const next = await this.api.cancelJob({ jobId });
      if (next) this.onProgress(next);
    } catch (error) {
      this.#error = toAppError(error);
    }
  }

  onProgress(progress: JobProgress): void {
    if (progress.folderId !== this.library.folder?.folderId) return;
    this.jobModels.set(progress.jobId, progress.model);
    if (stepsBack(this.#progress, progress)) return;
    this.#progress = progress;
    if (!isActive(progress)) {
      this.items.flush();
      if (progress.state === 'stopped' && progress.error) this.#error = progress.error;
    }
  }

  onJobItem(item: JobItemEvent): void {
    if (item.folderId !== this.library.folder?.folderId || item.state === 'running') return;
    if (item.result) this.staleMarks.onResult(item.id);
    this.items.push(item);
  }

  private applyItems(items: JobItemEvent[]): void {
    for (const item of items) {
      const model = this.jobModels.get(item.jobId);
      if (item.result && (model === undefined || model === this.model)) this.table.set(item.result);
    }
    this.#version += 1;
  }

  private async reload(folderId: string, model: string, engine: Engine): Promise<void> {
    const token = ++this.loadToken;
    this.table = new ResultTable(this.library);
    this.items.clear();
    this.#error = null;
    if (this.#progress && this.#progress.folderId !== folderId) this.#progress = null;
    this.#version += 1;
    if (!folderId || !model) {
      this.staleMarks.forget();
      this.#onlyDisagree = false;
      return;
    }
    this.#loading = true;
    const stale = () => token !== this.loadToken;
    const failure = await readResultPages(
      this.api,
      { folderId, model, engine },
      stale,
      (page) => {
        this.table.addPage(page);
        this.#version += 1;
      },
      this.staleMarks,
    );
    if (stale()) return;
    if (failure) this.#error = failure;
    this.#loading = false;
  }

  /** Main has read every file of `folderId` (see StaleMarks). */
  onIdentitiesRead(folderId: string): void {
    this.staleMarks.onIdentitiesRead(folderId);
  }
}
