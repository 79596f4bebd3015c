import type { Api } from '../../../app/contract';
import type { AppError } from '../../../app/errors';
import type { FolderInfo, ListedImage, ScanBatch, ScanDone, ScanProblem } from '../../../app/types';
import { ListedImages } from './listed-images';
import { buildNameIndex, extendNameIndex, lowerNames, sortedNameIndex, type NameIndex } from '../../../app/view-filter';
import { toAppError } from '../api';
import type { HeldScanEvent, StartFolder } from '../start-folder';

/** How long a cached listing's batches may wait for the rest of it before being indexed. */
const sortedFlushMs = 1000;
/** Paths lower-cased per idle slice once a listing that came in order is indexed (for search). */
const lowerSlice = 10_000;

// The open folder and its listing. Entries live in one array of ids (listed-images.ts: no proxy and no
// object per image); `version` is the reactive signal that the listing or its name index changed.

export class LibraryStore {
  #folder = $state<FolderInfo | null>(null);
  #opening = $state(false);
  #scanning = $state(false);
  /** Bumped whenever the listed ids / `names` change. */
  #version = $state(0);
  #names = $state.raw<NameIndex>(buildNameIndex([]));
  #problems = $state.raw<ScanProblem[]>([]);
  get problems() {
    return this.#problems;
  }
  #error = $state<AppError | null>(null);
  get error() {
    return this.#error;
  }

  #entries = new ListedImages();
  get folder() {
    return this.#folder;
  }
  get opening() {
    return this.#opening;
  }
  get scanning() {
    return this.#scanning;
  }
  get version() {
    return this.#version;
  }
  get names() {
    return this.#names;
  }
  /** Id → index, extended only when asked about an id it does not know yet, and only as far as
   *  that id: at 250,000 entries a Map kept up to date on every batch cost seconds, a walk of the
   *  entries per question (the grid asks once per view change to keep its focus) most of a second
   *  while scanning, and the whole Map built for the first image's details a quarter second. */
  private indexById = new Map<string, number>();
  /** Entries the Map covers (entries only grow between resets, so their indices hold). */
  private indexed = 0;
  /** Batches that arrived before openFolder answered, by folder id, in order. */
  private pending = new Map<string, ScanBatch[]>();
  private pendingDone = new Map<string, ScanDone>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = 0;
  private lastIndexMs = 0;
  /** True while every batch of the folder came in natural name order (a cached listing). */
  private inOrder = true;
  /** The index whose paths are being lower-cased when idle. */
  private warming: NameIndex | null = null;

  constructor(private readonly api: Api) {}

  get count(): number {
    void this.#version;
    return this.#entries.count;
  }

  /** The listed ids, in listing order (an entry's index is its position here). The same array
   *  while a scan appends to it, a new one per folder; not tracked: read `version` to follow it. */
  get ids(): readonly string[] {
    return this.#entries.ids;
  }

  /** The id of the entry at `index`, or undefined. */
  idAt(index: number): string | undefined {
    return this.#entries.ids[index];
  }

  /** The entry at `index` as an object (made when asked: for the few entries shown at a time; the
   *  same one when asked again), or undefined. */
  entryAt(index: number): ListedImage | undefined {
    return this.#entries.entryAt(index);
  }

  /** Index of an image in the listing, or -1. */
  indexOf(id: string): number {
    const known = this.indexById.get(id);
    if (known !== undefined) return known;
    const ids = this.#entries.ids;
    const map = this.indexById;
    // Each id is listed once (main keys its entries by id), so the walk can stop at it.
    for (let i = this.indexed; i < ids.length; i++) {
      map.set(ids[i], i);
      if (ids[i] === id) {
        this.indexed = i + 1;
        return i;
      }
    }
    this.indexed = ids.length;
    return -1;
  }

  /** Asks for a folder in the OS dialog: its path, or null when cancelled or failed (then `error` says why). */
  async pickFolder(): Promise<string | null> {
    try {
      return await this.api.pickFolder({});
    } catch (error) {
      this.#error = toAppError(error);
      return null;
    }
  }

  /** Opens a folder; `onOpened` hears of it as soon as main answered, before its listing is taken in. */
  async open(path: string, onOpened?: (info: FolderInfo) => void): Promise<void> {
    return this.openWith(() => this.api.openFolder({ path }), [], onOpened);
  }

  /** Takes over the folder the page asked main to open before it mounted (start-folder.ts): the
   *  scan events that came meanwhile, then main's answer; nothing opens when main had none. */
  async openStart(start: StartFolder, onOpened?: (info: FolderInfo) => void): Promise<void> {
    return this.openWith(() => start.answer, start.take(), onOpened);
  }

  private async openWith(ask: () => Promise<FolderInfo | null>, early: HeldScanEvent[], onOpened?: (info: FolderInfo) => void): Promise<void> {
    this.#opening = true;
    this.#error = null;
    this.pending.clear();
    this.pendingDone.clear();
    this.reset(null);
    this.#scanning = true;
    // Not this folder's yet (no answer), so each is held as a batch before the answer would be.
    for (const [name, payload] of early) {
      if (name === 'scanBatch') this.onScanBatch(payload);
      else if (name === 'scanDone') this.onScanDone(payload);
    }
    try {
      const info = await ask();
      if (!info) {
        this.#scanning = false;
        return;
      }
      this.reset(info);
      this.#scanning = true;
      onOpened?.(info);
      const held = this.pending.get(info.folderId) ?? [];
      // Much of a listing can come while the window mounts: its first batch is listed on its own,
      // so the first screen paints before the rest is indexed (at the next slot).
      let firstListed = false;
      for (const batch of held) {
        this.append(batch);
        if (!firstListed && held.length > 1) {
          this.indexNow();
          firstListed = true;
        }
      }
      const done = this.pendingDone.get(info.folderId);
      this.pending.clear();
      this.pendingDone.clear();
      // Once the first screen is listed on its own, the rest is indexed at the next slot.
      if (done) this.endScan(done, !firstListed);
      else this.scheduleFlush(!firstListed);
    } catch (error) {
      this.#scanning = false;
      this.#error = toAppError(error);
    } finally {
      this.#opening = false;
    }
  }

  onScanBatch(batch: ScanBatch): void {
    if (this.#folder?.folderId === batch.folderId) {
      this.append(batch);
      // The folder's first batch is listed at once, on its own: the rest often comes in the same
      // task (a listing main had read whole), and a timer then waited for all of it, so the first
      // screen waited for the whole listing's index.
      if (this.#names.order.length === 0 && batch.complete !== true) this.indexNow();
      else this.scheduleFlush(batch.complete === true, batch.sorted === true);
    } else this.hold(batch);
  }

  private hold(event: ScanBatch): void {
    if (!this.#opening) return;
    const list = this.pending.get(event.folderId) ?? [];
    list.push(event);
    this.pending.set(event.folderId, list);
  }

  onScanDone(done: ScanDone): void {
    if (this.#folder?.folderId !== done.folderId) {
      if (this.#opening) this.pendingDone.set(done.folderId, done);
      return;
    }
    this.endScan(done);
  }

  /** The open folder's scan ended: its problems shown, what is left of its listing indexed. */
  private endScan(done: ScanDone, indexNow = true): void {
    this.#scanning = false;
    this.#problems = done.problems;
    this.scheduleFlush(indexNow);
  }

  onScanProblem(problem: ScanProblem & { folderId: string }): void {
    if (this.#folder?.folderId !== problem.folderId) return;
    this.#problems = [...this.#problems, { path: problem.path, code: problem.code, message: problem.message }];
  }

  /** The person dismissed the "could not open the folder" banner. */
  dismissError(): void {
    this.#error = null;
  }

  dismissProblems(): void {
    this.#problems = [];
  }

  private reset(info: FolderInfo | null): void {
    this.#folder = info;
    this.#entries = new ListedImages();
    this.indexById = new Map();
    this.indexed = 0;
    this.inOrder = true;
    this.#problems = [];
    this.#names = buildNameIndex([]);
    this.#version += 1;
  }

  /** A scan yields each id once (main keys its entries by id), so batches append without a lookup. */
  private append(batch: ScanBatch): void {
    this.#entries.append(batch);
    if (!batch.sorted) this.inOrder = false;
  }

  /** Extends the name index at most every few times its own cost, so a large scan stays fluid.
   *  A cached listing (`sorted`) comes back to back and ends with a `complete` batch: once its
   *  first screen is listed, it is indexed when complete (at least once a second meanwhile), since
   *  each index re-runs every view of the folder (at 250,000, four more rebuilds before the count). */
  private scheduleFlush(now: boolean, sorted = false): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    const interval = sorted && this.#names.order.length > 0 ? sortedFlushMs : Math.max(100, this.lastIndexMs * 4);
    const wait = now ? 0 : Math.max(0, this.lastFlush + interval - performance.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.indexNow();
    }, wait);
  }

  private indexNow(): void {
    // The scan's end after its last batch was indexed: nothing changed, and a new index would
    // re-run every view of the folder (a quarter second at 250,000).
    const ids = this.#entries.ids;
    if (ids.length !== this.#names.order.length || ids.length === 0) {
      const started = performance.now();
      // Entries only grow between resets, so the index merges in what arrived since the last one.
      this.#names = this.inOrder ? sortedNameIndex(this.#names, ids) : extendNameIndex(this.#names, ids);
      this.lastIndexMs = performance.now() - started;
      this.lastFlush = performance.now();
      this.#version += 1;
    }
    if (this.inOrder && !this.#scanning) this.warmLowerNames(this.#names);
  }

  /** A listing that came in order is indexed without its paths lower-cased (sortedNameIndex): they
   *  are done here in slices when the page is idle, so the first search does not pay for them. */
  private warmLowerNames(names: NameIndex): void {
    if (this.warming === names) return;
    this.warming = names;
    const idle = (step: () => void) => (typeof requestIdleCallback === 'function' ? requestIdleCallback(step, { timeout: 2000 }) : setTimeout(step, 0));
    const step = () => {
      // A newer index (or folder) warms its own; a finished one is not held on to.
      if (this.#names === names && lowerNames(names, names.lower.length + lowerSlice).length < names.order.length) idle(step);
      else if (this.warming === names) this.warming = null;
    };
    idle(step);
  }
}
