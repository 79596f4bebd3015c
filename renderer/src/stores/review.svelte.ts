import type { Api } from '../../../app/contract';
import type { AppError } from '../../../app/errors';
import type { JobItemEvent, ListedImage, ResultSummary } from '../../../app/types';
import { ResultTable, type ResultSnapshot, type ResultState } from '../../../app/result-table';
import { classColors } from '../../../app/class-colors';
import { intersectAllowed } from '../../../app/compare';
import { thresholdRule, type Threshold } from '../../../app/roboflow';
import {
  buildPreparedView,
  defaultFilter,
  labelsAt,
  prepareView,
  type Labels,
  type PreparedView,
  type SortKey,
  type View,
  type ViewFilter,
} from '../../../app/view-filter';
import type { LibraryStore } from './library.svelte';
import { Batch, readResultPages, StaleMarks } from './result-pages';

// Results of the open folder and the current way of looking at them (threshold, filters, sort).
// Results sit in a table of columns lined up with the listing (app/result-table.ts); `version`
// signals changes, and live job items are applied in batches so a fast job does not rebuild the
// view for every image.

export type LiveState = 'queued' | 'running';

export class ReviewStore {
  #threshold = $state(0.4);
  get threshold() {
    return this.#threshold;
  }
  #filter = $state.raw<ViewFilter>(defaultFilter);
  get filter() {
    return this.#filter;
  }
  #sort = $state<SortKey>('name');
  get sort() {
    return this.#sort;
  }
  #overlays = $state(true);
  get overlays() {
    return this.#overlays;
  }
  #version = $state(0);
  #loading = $state(false);
  get version() {
    return this.#version;
  }
  get loading() {
    return this.#loading;
  }
  #error = $state<AppError | null>(null);
  get error() {
    return this.#error;
  }
  /** Thumbnail failures by image id (few; reactive on their own). */
  #thumbErrors = $state.raw<ReadonlyMap<string, string>>(new Map());
  get thumbErrors() {
    return this.#thumbErrors;
  }

  private table: ResultTable;
  private live = new Map<string, LiveState>();
  private items = new Batch<JobItemEvent>((items) => this.applyItems(items));
  private loadToken = 0;
  private staleMarks: StaleMarks;

  private readonly api: Api;
  private readonly library: LibraryStore;
  /** Results aligned with the library's entries: `aligned.at(i)` is entry i's. */
  readonly aligned: ResultSnapshot;
  readonly prepared: PreparedView;
  readonly colors: Map<string, string>;
  readonly view: View;
  /** A further allow-list of entry indices from outside the sidebar (compare: "Models disagree"), read
   *  reactively and combined with the filter's own; null keeps every image. */
  allowed: () => ReadonlySet<number> | null = () => null;
  /** Per entry, 1 for images judged wrong against their ground truth (set by the evaluation store). */
  mistakes: () => Uint8Array | null = () => null;
  /** Per-class threshold overrides (set by the class-thresholds store); null for none. */
  classThresholds: () => Readonly<Record<string, number>> | null = () => null;
  /** The threshold rule every label follows: `threshold` with the per-class overrides. */
  readonly rule: Threshold;

  constructor(api: Api, library: LibraryStore) {
    this.api = api;
    this.library = library;
    this.table = new ResultTable(library);
    this.staleMarks = new StaleMarks(api, (ids) => {
      if (this.table.markStale(ids) > 0) this.#version += 1;
    });
    this.aligned = $derived.by(() => {
      void this.#version;
      void this.library.version;
      return this.table.snapshot();
    });
    // Facts per image are gathered when results change; filters, sort and threshold reuse them.
    this.prepared = $derived(prepareView(this.library.names, this.aligned));
    this.colors = $derived(classColors(this.prepared.classNames));
    this.rule = $derived(thresholdRule(this.#threshold, this.classThresholds()));
    this.view = $derived(buildPreparedView(this.prepared, this.viewFilter(), this.#sort, this.rule, this.#sort === 'mistakes' ? this.mistakes() : null));
  }

  private viewFilter(): ViewFilter {
    const extra = this.allowed();
    return extra ? { ...this.#filter, only: intersectAllowed(this.#filter.only, extra) } : this.#filter;
  }

  /** The image at position `pos` of the current view (filtered and sorted), if any. */
  entryAt(pos: number): ListedImage | undefined {
    return this.library.entryAt(this.view.order[pos]);
  }

  /** The id of the image at position `pos` of the current view, if any. */
  idAt(pos: number): string | undefined {
    return this.library.idAt(this.view.order[pos]);
  }

  /** The ids of the current view (filtered and sorted), in its order. */
  shownIds(): string[] {
    const ids = this.library.ids;
    return Array.from(this.view.order, (i) => ids[i]);
  }

  result(id: string): ResultSummary | undefined {
    void this.#version;
    void this.library.version;
    return this.table.resultOf(id);
  }

  /** The listing index of the image at position `pos` of the current view, or -1. */
  indexAt(pos: number): number {
    return this.view.order[pos] ?? -1;
  }

  /** The result of the image at position `pos` of the current view: found by its listing index,
   *  where `result(id)` looks the id up (at 250,000 images, the first look-up of an image far into
   *  the listing indexed the ids up to it: 43 ms of a sort's frame with the side panel open). */
  resultAt(pos: number): ResultSummary | undefined {
    return this.aligned.at(this.indexAt(pos));
  }

  liveState(id: string): LiveState | undefined {
    void this.#version;
    return this.live.get(id);
  }

  labels(result: ResultSummary | undefined): Labels | null {
    return result?.status === 'done' ? labelsAt(result, this.rule) : null;
  }

  /** Forgets everything of the previous folder. */
  clear(): void {
    this.staleMarks.forget();
    this.table = new ResultTable(this.library);
    this.live = new Map();
    this.items.clear();
    this.#thumbErrors = new Map();
    this.#filter = defaultFilter;
    this.#version += 1;
  }

  /** Drops the results (another model or endpoint was chosen) and loads that one's. */
  async reload(folderId: string): Promise<void> {
    this.table = new ResultTable(this.library);
    this.live = new Map();
    this.items.clear();
    this.#version += 1;
    await this.load(folderId);
  }

  /** Loads every stored result of a folder, page by page. */
  async load(folderId: string): Promise<void> {
    const token = ++this.loadToken;
    this.#loading = true;
    this.#error = null;
    const stale = () => token !== this.loadToken;
    // Every version bump takes a snapshot and prepares the views over every result again, so at
    // 250,000 results the pages are shown together at most every `showEveryMs` (the first at
    // once), not one rebuild per page.
    const showEveryMs = 1000;
    let shownAt = -Infinity;
    let unshown = false;
    const failure = await readResultPages(
      this.api,
      { folderId },
      stale,
      (page) => {
        this.table.addPage(page);
        unshown = true;
        if (performance.now() - shownAt >= showEveryMs) {
          this.#version += 1;
          shownAt = performance.now();
          unshown = false;
        }
      },
      this.staleMarks,
    );
    if (stale()) return;
    if (unshown) this.#version += 1;
    if (failure) this.#error = failure;
    this.#loading = false;
  }

  /** Main has read every file of `folderId` (see StaleMarks). */
  onIdentitiesRead(folderId: string): void {
    this.staleMarks.onIdentitiesRead(folderId);
  }

  setThumbError(id: string, reason: string): void {
    const next = new Map(this.#thumbErrors);
    next.set(id, reason);
    this.#thumbErrors = next;
  }

  /** Marks images as waiting for a job. */
  markQueued(ids: Iterable<string>): void {
    for (const id of ids) this.live.set(id, 'queued');
    this.#version += 1;
  }

  /** Drops queued/running marks (the job ended). */
  clearLive(): void {
    if (this.live.size === 0) return;
    this.live = new Map();
    this.#version += 1;
  }

  onJobItem(item: JobItemEvent): void {
    if (item.result) this.staleMarks.onResult(item.id);
    this.items.push(item);
  }

  /** Applies live job items now (also used when a job ends). */
  flush(): void {
    this.items.flush();
  }

  private applyItems(items: JobItemEvent[]): void {
    for (const item of items) {
      if (item.state === 'running') this.live.set(item.id, 'running');
      else {
        this.live.delete(item.id);
        if (item.result) this.table.set(item.result);
      }
    }
    this.#version += 1;
  }

  /** The confidence threshold badges, filters and metrics judge by (0..1). */
  setThreshold(threshold: number): void {
    this.#threshold = threshold;
  }

  setSort(sort: SortKey): void {
    this.#sort = sort;
  }

  /** Shows or hides the class badges over the tiles. */
  toggleOverlays(): void {
    this.#overlays = !this.#overlays;
  }

  /** The person dismissed the "stored results could not be loaded" banner. */
  dismissError(): void {
    this.#error = null;
  }

  setFilter(patch: Partial<ViewFilter>): void {
    this.#filter = { ...this.#filter, ...patch };
  }

  toggleClass(name: string): void {
    const classes = new Set(this.#filter.classes);
    if (classes.has(name)) classes.delete(name);
    else classes.add(name);
    this.setFilter({ classes });
  }

  /** Ids of the folder's images whose result's state (none: undefined) passes `predicate`. */
  idsWhere(predicate: (state: ResultState | undefined) => boolean): string[] {
    const aligned = this.aligned;
    const out: string[] = [];
    this.library.ids.forEach((id, i) => {
      if (predicate(aligned.stateAt(i))) out.push(id);
    });
    return out;
  }
}
