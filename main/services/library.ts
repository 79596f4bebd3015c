import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { AppFailure } from '../../app/errors';
import { idsOf } from '../../app/front-coded';
import { codeBatch, packEntries } from '../../app/scan-batch';
import type { FolderInfo, ImageEntry, ImageFacts, ScanBatch, ScanDone, ScanProblem } from '../../app/types';
import type { Emit, Ports } from '../ports';
import type { EventName, Events } from '../../app/contract';
import { EntryTable } from './entry-table';
import { createForeground, type Foreground } from './foreground';
import { naturalOrder, type CachedListing, type ListingCache } from './listing-cache';
import { identify, isImageName, isInside, isProblem, scanFolderSlices } from './scan';
import { nextTurn } from './next-turn';
import { noFile, readFileStats, regularFile } from './stat-thread';

// The folders the user opened this session. Opening one scans it in the background and streams
// its entries as `scanBatch` events; `resolve` is the gate every media and job read goes through:
// it returns a path only when it stays inside a folder the user opened (no `..`, no absolute ids,
// no link that leads out).

// The first batch goes out small and soon, for the first screen; later ones are large, since each
// event costs the renderer a pass over its listing (at 250,000 images, hundreds of small batches
// kept it busy for seconds).
const firstBatchMax = 1000;
const firstBatchMs = 50;
const batchMax = 25_000;
const batchMs = 250;
/** A cached listing needs no indexing in the page (it comes sorted), so it goes in fewer batches;
 *  not in one, which held main (and the first thumbnails) while 13 MB of it was written. */
const cachedBatchMax = 50_000;
/** Folders whose entry lists stay in memory; older ones stay resolvable but forget their entries. */
const keptFolders = 8;
/** How long the page's open waits for an early listing's name order when it is being computed
 *  (about 0.3 s at 250,000 images): the page's own sort of it took twice that of its time. */
const sortWaitMs = 500;
/** Problems announced one by one; a folder of thousands of broken links reports the rest in scanDone. */
const problemEvents = 1000;

export interface FolderState {
  info: FolderInfo;
  /** Entries whose size and mtime were read (stale results are judged by them). */
  entries: EntryTable;
  problems: ScanProblem[];
  done: Promise<ScanDone>;
  /** The scan's end once every listed file's size and mtime has been read: `done` for a scan,
   *  after the background re-check for a cached listing. What judges results stale by the entries
   *  (a run's choice of images, an export, an evaluation, a send) waits for this. */
  settled: Promise<ScanDone>;
  /** Settles once a cached listing has gone out whole, at once for a folder being scanned (once
   *  what an early read held has gone out): what waits for it (the first results page) does not
   *  hold the listing's batches back. */
  listed: Promise<void>;
  /** Sends what a scan started early held back (see prefetch). */
  release?: () => Promise<void>;
}

type LibraryPort = Ports['library'];

export interface Library extends LibraryPort {
  /** Starts reading the folder the app opens at start before the page asks for it; answers the
   *  folder it started (null when the page had already opened one). */
  prefetch(path: string, recursive: boolean): Promise<FolderInfo | null>;
  get(folderId: string): FolderState | undefined;
  resolve(folderId: string, id: string): Promise<string>;
  /** Stops every running scan, and a cached listing's background re-check. */
  close(): Promise<void>;
}

/** The stable key of a folder: first 16 hex chars of sha1 of its real path. */
export function folderIdOf(realRoot: string): string {
  return createHash('sha1').update(realRoot).digest('hex').slice(0, 16);
}

const refused = () => new AppFailure('invalid_input', 'Refused: that path leads outside the opened folder.');

/** Splits an image id into safe path segments or throws; ids are relative POSIX paths. A backslash
 *  is a separator only on Windows; elsewhere it is an ordinary character of a file name. */
function idSegments(id: string): string[] {
  if (!id || id.includes('\0') || id.startsWith('/') || /^[a-zA-Z]:/.test(id)) throw refused();
  if (process.platform === 'win32' && id.includes('\\')) throw refused();
  const segments = id.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw refused();
  return segments;
}

/** The gate: the real path of image `id` when it stays inside the real folder `root`, else a
 *  refusal. Readers then open that path with safe-open, which proves the file is still that one. */
export async function resolveInside(root: string, id: string): Promise<string> {
  const segments = idSegments(id);
  if (!isImageName(segments[segments.length - 1]) || segments.some((s) => s.startsWith('.'))) throw refused();
  let real: string;
  try {
    real = await fsp.realpath(path.join(root, ...segments));
  } catch {
    throw new AppFailure('not_found', `"${id}" is no longer in the folder. Rescan the folder.`);
  }
  if (!isInside(root, real)) throw refused();
  return real;
}

export function createLibrary(opts: { emit: Emit; listings?: ListingCache; foreground?: Foreground }): Library {
  /** A background pass's turn: behind pending thumbnails when main serves any (without a
   *  foreground of its own, as in the CLI, nothing is ever pending). */
  const foreground = opts.foreground ?? createForeground();
  const backgroundTurn = foreground.turn;
  const roots = new Map<string, FolderInfo>();
  const states = new Map<string, FolderState>();
  let running: { abort: AbortController; finished: Promise<ScanDone> } | null = null;

  /** A scan started before the page asked (the folder the app opens at start), its events held. */
  let early: { info: FolderInfo; state: FolderState; held: Array<[EventName, unknown]> } | null = null;
  /** Set by the first open: an early read is pointless (and would be stale) after it. */
  let opened = false;

  /** The last folder's reading, a background re-check included (it outlives `running`). */
  let lastAbort: AbortController | null = null;

  function start(info: FolderInfo, held: Array<[EventName, unknown]> | null): FolderState {
    if (running) running.abort.abort();
    lastAbort?.abort();
    const abort = new AbortController();
    lastAbort = abort;
    const entries = new EntryTable();
    const problems: ScanProblem[] = [];
    /** `released`: the page asked; the held events are going out (in order) and no sort may
     *  change them any more. */
    const channel: { held: typeof held; sorting: Promise<void> | null; released: boolean } = { held, sorting: null, released: false };
    // Batches are built and held with plain ids, and front-coded as they go out: a start folder
    // held and then sorted is coded once, in its sorted order.
    const out: Emit = (event, payload) => opts.emit(event, event === 'scanBatch' ? (codeBatch(payload as ScanBatch) as typeof payload) : payload);
    const send: Emit = (event, payload) => {
      if (channel.held) channel.held.push([event, payload]);
      else out(event, payload);
    };
    /** A listing read whole before the page asked for it goes out in name order, as a cached one
     *  does: the page then skips the keys and sort of every name (0.7 s of its time at 250,000).
     *  Answers the held ids in name order, or null when they went out as found. */
    const sortHeld = async (): Promise<readonly string[] | null> => {
      const batches = (channel.held ?? []).filter((event): event is ['scanBatch', ScanBatch] => event[0] === 'scanBatch');
      if (!batches.length || !batches[batches.length - 1][1].complete) return null;
      const ids = batches.flatMap(([, batch]) => idsOf(batch.ids));
      // Asked for and not waited for (sortWaitMs): it went out as it was found, and the rest of
      // the sort is not done.
      const wanted = () => channel.held !== null && !channel.released && !abort.signal.aborted;
      let sorted: string[] | null = null;
      channel.sorting = naturalOrder(ids, backgroundTurn, wanted).then((order) => {
        const held = channel.held;
        if (!order || !held || channel.released || abort.signal.aborted) return;
        sorted = Array.from(order, (i) => ids[i]);
        channel.held = held.filter(([event]) => event !== 'scanBatch');
        for (const batch of listingBatches(info.folderId, sorted)) channel.held.push(['scanBatch', batch]);
      });
      await channel.sorting;
      channel.sorting = null;
      return sorted;
    };
    const reading: Reading = { listed: moment(), checked: moment() };
    /** The held events are out (at once when none are held). */
    const released = moment();
    if (!held) released.give();
    const done = runScan(info, entries, problems, abort.signal, send, held ? sortHeld : null, reading);
    done.then(reading.listed.give, reading.listed.give);
    const settled = done.then(async (end) => {
      if (end.cached) await reading.checked.promise;
      return end;
    });
    settled.catch(() => undefined);
    const listed = Promise.all([reading.listed.promise, released.promise]).then(() => undefined);
    const state: FolderState = { info, entries, problems, done, settled, listed };
    state.release = async () => {
      if (channel.sorting) await within(channel.sorting, sortWaitMs);
      channel.released = true;
      // One listing batch per turn of the event loop (each is coded and written): sent in one go,
      // the twelve batches of a 250,000-image folder held main 0.6 s in a cold start, and all of
      // them reached the page at its end. What the reading sends meanwhile queues behind, in order.
      // Foreground work: the background passes (stat pass, re-check) wait for the listing.
      const events = channel.held ?? [];
      try {
        await foreground.run(async () => {
          for (let k = 0; k < events.length; k++) {
            // Another folder opened meanwhile: the page no longer wants this one.
            if (abort.signal.aborted) break;
            const [event, payload] = events[k];
            out(event, payload as Events[typeof event]);
            if (event === 'scanBatch' && k + 1 < events.length) await nextTurn();
          }
          // In the same step as the last event held: what the reading sends from now on goes
          // straight out. Let go once `run` had settled, what came in the turns between was lost
          // (the scan's end among it).
          channel.held = null;
        });
      } finally {
        channel.held = null;
        released.give();
      }
    };
    const current = { abort, finished: state.done };
    running = current;
    void state.done.finally(() => {
      if (running === current) running = null;
    });
    return state;
  }

  function keep(state: FolderState): void {
    roots.set(state.info.folderId, state.info);
    states.delete(state.info.folderId);
    states.set(state.info.folderId, state);
    for (const key of states.keys()) {
      if (states.size <= keptFolders) break;
      states.delete(key);
    }
  }

  async function open(requested: string, recursive: boolean): Promise<FolderInfo> {
    opened = true;
    const root = await validateFolder(requested);
    const info: FolderInfo = { folderId: folderIdOf(root), root, name: path.basename(root) || root, recursive };
    const ready = early;
    early = null;
    if (ready && ready.info.folderId === info.folderId && ready.info.recursive === recursive) {
      // The scan (or cached listing) already under way: what it found so far goes out after the
      // answer, in order, and the rest as it comes. Answered first, the page lists the first
      // batch as it arrives; answered after them, it took in a 250,000-image listing whole
      // before its first screen. (The first results page waits for them: `listed`.)
      keep(ready.state);
      void nextTurn().then(() => ready.state.release?.());
      return info;
    }
    keep(start(info, null));
    return info;
  }

  /** Starts scanning the folder the app will open at start while the window loads; nothing is
   *  sent, and nothing of it can be read, until the page opens that folder (`open`). */
  async function prefetch(requested: string, recursive: boolean): Promise<FolderInfo | null> {
    const root = await validateFolder(requested);
    if (opened) return null; // the page already opened something
    const info: FolderInfo = { folderId: folderIdOf(root), root, name: path.basename(root) || root, recursive };
    const held: Array<[EventName, unknown]> = [];
    early = { info, state: start(info, held), held };
    return info;
  }

  async function runScan(
    info: FolderInfo,
    entries: EntryTable,
    problems: ScanProblem[],
    signal: AbortSignal,
    send: Emit,
    sortHeld: (() => Promise<readonly string[] | null>) | null,
    reading: Reading,
  ): Promise<ScanDone> {
    const { folderId, root, recursive } = info;
    const started = performance.now();
    const cached = opts.listings ? await opts.listings.load(info).catch(() => null) : null;
    if (cached && !signal.aborted) return serveCached(info, cached, entries, signal, started, send, reading);
    reading.listed.give();
    const folders: Array<[string, number, number]> = [];
    const onFolder = opts.listings ? (real: string, mtimeMs: number) => void folders.push([real, mtimeMs, Date.now()]) : undefined;
    let batch: ImageEntry[] = [];
    let batchStart = 0;
    let sentBatches = 0;
    /** Listed before their size and mtime were read. */
    const unread: ImageEntry[] = [];
    /** The listing in name order, when it went out so (the start folder read whole early). */
    let named: readonly string[] | undefined;
    let timer: NodeJS.Timeout | null = null;
    const flush = (complete = false) => {
      if (timer) clearTimeout(timer);
      timer = null;
      if ((!batch.length && !complete) || signal.aborted) return;
      send('scanBatch', complete ? { ...packEntries(folderId, batch), complete } : packEntries(folderId, batch));
      batch = [];
      sentBatches++;
    };
    const problem = (p: ScanProblem) => {
      problems.push(p);
      if (problems.length <= problemEvents) send('scanProblem', { folderId, ...p });
    };
    try {
      // Ids first: the count and every entry reach the page after one pass of directory reads;
      // main reads sizes and mtimes (a stat per file, most of a scan's time) after them.
      for await (const items of scanFolderSlices(root, { recursive, signal, onFolder, deferStats: true })) {
        if (signal.aborted) break;
        for (const item of items) {
          if (isProblem(item)) {
            problem(item.problem);
            continue;
          }
          // Main's entries hold only read identities: stale results are judged by them.
          if (item.size < 0) unread.push(item);
          else entries.set(item.id, item);
          if (!batch.length) {
            batchStart = performance.now();
            // A slow folder must not hold back the entries already found.
            timer = setTimeout(flush, sentBatches === 0 ? firstBatchMs : batchMs);
          }
          batch.push(item);
          if (batch.length >= (sentBatches === 0 ? firstBatchMax : batchMax)) flush();
        }
        if (batch.length && performance.now() - batchStart >= (sentBatches === 0 ? firstBatchMs : batchMs)) flush();
      }
      flush(true);
      // The listing cache stores the same order: sorted here, it is not sorted again there.
      named = (await sortHeld?.()) ?? undefined;
      await readIdentities(info, unread, entries, problem, signal);
      // Results served before now had no size and mtime to be judged by.
      if (!signal.aborted) send('identitiesRead', { folderId });
    } catch (error) {
      problem({
        path: '.',
        code: 'unreadable_folder',
        message: `The folder could not be read: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
    flush();
    const done: ScanDone = {
      folderId,
      total: entries.size,
      problems: problems,
      ms: Math.round(performance.now() - started),
      cancelled: signal.aborted,
    };
    // A scan cancelled by reopening the same folder must not announce the end of the new one.
    if (!signal.aborted || states.get(folderId)?.entries === entries) send('scanDone', done);
    // Only a complete listing without problems is kept: a problem (a permission, a link) can clear
    // without any folder's mtime moving.
    if (opts.listings && !signal.aborted && problems.length === 0) await opts.listings.save(info, folders, entries.columns(), named).catch(() => undefined);
    return done;
  }

  /** Reads the size and mtime of each entry listed without them, in listing order, into main's
   *  entries (stale results are judged by them), on a worker thread (stat-thread.ts). */
  async function readIdentities(
    info: FolderInfo,
    unread: readonly ImageEntry[],
    entries: EntryTable,
    problem: (p: ScanProblem) => void,
    signal: AbortSignal,
  ): Promise<void> {
    // Ids are relative paths the scan built from on-disk names.
    await readFileStats({
      root: info.root,
      count: unread.length,
      idAt: (k) => unread[k].id,
      turn: backgroundTurn,
      signal,
      apply(from, { sizes, mtimes, kinds }) {
        for (let j = 0; j < kinds.length; j++) {
          const listedEntry = unread[from + j];
          if (kinds[j] !== regularFile) {
            // Gone, or no longer a plain file, since it was listed: the scan's own words for it.
            const read = identify(info.root, listedEntry);
            if (isProblem(read)) problem(read.problem);
            continue;
          }
          // The listed object is this pass's alone (batches took only its id): completed in place.
          listedEntry.size = sizes[j];
          listedEntry.mtimeMs = mtimes[j];
          entries.set(listedEntry.id, listedEntry);
        }
      },
    });
  }

  /** Sends a cached listing (stored in natural name order, so its batches say `sorted`): a small
   *  first batch for the first screen, then large ones; then checks in the background that no
   *  file changed in place since it was stored. The listing's columns become main's entries as
   *  they are (no entry object, no id index until something looks an id up). */
  async function serveCached(info: FolderInfo, cached: CachedListing, entries: EntryTable, signal: AbortSignal, started: number, send: Emit, reading: Reading): Promise<ScanDone> {
    const { folderId } = info;
    entries.adopt(cached.ids, cached.sizes, cached.mtimes);
    // An empty folder's listing still ends, as a scan's does.
    for (const batch of listingBatches(folderId, cached.ids)) {
      if (signal.aborted) break;
      send('scanBatch', batch);
      await nextTurn();
    }
    reading.listed.give();
    const done: ScanDone = { folderId, total: entries.size, problems: [], ms: Math.round(performance.now() - started), cancelled: signal.aborted, cached: true };
    if (!signal.aborted || states.get(folderId)?.entries === entries) send('scanDone', done);
    if (!signal.aborted) void recheck(info, entries, signal, send).finally(reading.checked.give);
    else reading.checked.give();
    return done;
  }

  /** Re-reads each cached entry's size and mtime (a file rewritten in place keeps its folder's
   *  mtime): changed identities are updated, so results of such files show as stale, and the
   *  listing is dropped so the next open scans afresh. The entries' id index is built as it goes,
   *  in the same slices. Once every file was read, the page hears of it (results it was sent meanwhile
   *  were judged against the cached identities). */
  async function recheck(info: FolderInfo, entries: EntryTable, signal: AbortSignal, send: Emit): Promise<void> {
    let changed = false;
    const count = entries.size;
    // Ids were checked to be plain relative paths when the listing was read.
    await readFileStats({
      root: info.root,
      count,
      idAt: (row) => entries.idAt(row),
      turn: backgroundTurn,
      signal,
      apply(from, { sizes, mtimes, kinds }) {
        for (let j = 0; j < kinds.length; j++) {
          const row = from + j;
          if (kinds[j] === noFile || sizes[j] !== entries.sizeAt(row) || mtimes[j] !== entries.mtimeAt(row)) {
            changed = true;
            if (kinds[j] !== noFile) entries.put(entries.idAt(row), sizes[j], mtimes[j]);
          }
        }
        entries.indexUpTo(from + kinds.length);
      },
    });
    if (signal.aborted) return;
    entries.indexUpTo(count);
    send('identitiesRead', { folderId: info.folderId });
    // A listing naming an image twice was not written by this app: it is not served again.
    if (changed || entries.repeated) await opts.listings?.forget(info).catch(() => undefined);
  }

  async function resolve(folderId: string, id: string): Promise<string> {
    const info = roots.get(folderId);
    if (!info) throw new AppFailure('not_found', 'That folder is not open any more. Open it again.');
    return resolveInside(info.root, id);
  }

  /** Read when the page shows an image's details: through the gate, so only images inside an
   *  opened folder answer. */
  async function facts(folderId: string, id: string): Promise<ImageFacts> {
    const real = await resolve(folderId, id);
    const st = await fsp.stat(real).catch(() => null);
    if (!st?.isFile()) throw new AppFailure('not_found', `"${id}" is no longer in the folder. Rescan the folder.`);
    return { size: st.size, mtimeMs: st.mtimeMs };
  }

  return {
    open,
    prefetch,
    get: (folderId) => states.get(folderId),
    resolve,
    facts,
    async close() {
      lastAbort?.abort();
      const current = running;
      if (!current) return;
      current.abort.abort();
      await current.finished;
    },
  };
}

/** A moment in a folder's reading that others wait for: `give` settles `promise` (once). */
interface Moment {
  promise: Promise<void>;
  give: () => void;
}

/** What a folder's reading tells as it goes: its cached listing sent whole, its re-check done. */
interface Reading {
  listed: Moment;
  checked: Moment;
}

function moment(): Moment {
  let give = () => undefined as void;
  const promise = new Promise<void>((resolve) => (give = resolve));
  return { promise, give };
}

/** Waits for `work`, but no longer than `ms`. */
async function within(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** A whole listing in natural name order as batches: a small first one for the first screen,
 *  then large ones (not one, which held main while 13 MB of it was written); the last says
 *  `complete`, and an empty listing still ends. Each is made as it is asked for (and coded as
 *  it is sent), so the first goes out before the rest is made. */
function* listingBatches(folderId: string, ids: readonly string[]): Generator<ScanBatch> {
  if (ids.length === 0) yield { folderId, ids: [], sorted: true, complete: true };
  for (let at = 0; at < ids.length; ) {
    const end = Math.min(at === 0 ? firstBatchMax : at + cachedBatchMax, ids.length);
    yield { folderId, ids: ids.slice(at, end), sorted: true, complete: end === ids.length };
    at = end;
  }
}

async function validateFolder(requested: string): Promise<string> {
  const absolute = path.resolve(requested);
  let real: string;
  try {
    real = await fsp.realpath(absolute);
    const st = await fsp.stat(real);
    if (!st.isDirectory()) throw new AppFailure('not_found', `"${absolute}" is a file, not a folder. Pick a folder of images.`);
  } catch (error) {
    if (error instanceof AppFailure) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new AppFailure('unreadable_file', `"${absolute}" cannot be read: permission denied. Check its permissions.`);
    }
    throw new AppFailure('not_found', `There is no folder at "${absolute}". Check the path, or pick another folder.`);
  }
  return real;
}
