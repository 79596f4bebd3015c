import fs from 'node:fs';
import path from 'node:path';
import { threadId, Worker } from 'node:worker_threads';
import type { Turn } from './next-turn';

// The size and mtime of every file of a folder, read on a worker thread. After a scan's ids are
// out (and in the re-check of a cached listing) main read them with a stat per file in slices of
// its own event loop: at 250,000 files 1.2-1.3 s of main's thread, time-shared with the page's
// requests (result pages, thumbnails) while the window starts. On a worker the stats take another
// core's time, and main only folds each slice's numbers into its entries.
//
// The worker is a few lines of plain JavaScript, started from this string: no file to find beside
// a bundle, the same in the app, the CLI, and the tests run from source.

/** What the stats of a slice found, index j being the slice's j-th path. */
export interface FileStats {
  sizes: Float64Array;
  mtimes: Float64Array;
  /** 0: none (gone, or unreadable), 1: a regular file, 2: something else (a folder, a device). */
  kinds: Uint8Array;
  /** The thread that read them (main's is 0). */
  threadId: number;
}

export const noFile = 0;
export const regularFile = 1;

/** The worker's code: answers each slice of paths it is sent with their stats. */
export const statWorkerSource = `
const { parentPort, threadId } = require('node:worker_threads');
const fs = require('node:fs');
// On Linux a thread has its own nice value and 0 names the calling thread: the stats take the
// time the window's work leaves (elsewhere 0 would be the whole process, so they do not).
if (process.platform === 'linux') {
  try {
    require('node:os').setPriority(0, 10);
  } catch {}
}
parentPort.on('message', ({ prefix, ids, from }) => {
  const n = ids.length;
  const sizes = new Float64Array(n);
  const mtimes = new Float64Array(n);
  const kinds = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    let st;
    try {
      st = fs.statSync(prefix + ids[j], { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (!st) continue;
    kinds[j] = st.isFile() ? 1 : 2;
    sizes[j] = st.size;
    mtimes[j] = st.mtimeMs;
  }
  parentPort.postMessage({ from, sizes, mtimes, kinds, threadId }, [sizes.buffer, mtimes.buffer, kinds.buffer]);
});
`;

/** Paths per message to the worker (about 10-20 ms of stats), and messages it may have queued. */
const workerSlice = 4096;
const inFlightMax = 2;
/** Paths per turn when main reads them itself (about 1 ms). */
const mainSlice = 256;
/** Fewer paths than this are read on main: starting a thread costs more than their stats. */
const workerMin = 2_000;

export interface StatPass {
  /** The folder the ids are relative to (plain relative paths, checked when they were listed:
   *  joined to it as they are). */
  root: string;
  count: number;
  idAt: (k: number) => string;
  /** Takes the slice of paths `from` .. `from + stats.kinds.length`, on main's event loop, in order. */
  apply: (from: number, stats: FileStats) => void;
  /** Awaited before each slice is asked for: background work waits behind what the user sees. */
  turn: Turn;
  signal: AbortSignal;
  /** For tests: the worker's code (`statWorkerSource` by default), or null for no worker, as when
   *  none can start. */
  worker?: string | null;
}

/** Reads the size and mtime of every path, a slice at a time, on a worker thread; main reads them
 *  itself for a few paths, and the rest when no worker can start or one dies. Resolves once every
 *  slice was applied or the signal aborted. */
export async function readFileStats(pass: StatPass): Promise<void> {
  const prefix = pass.root.endsWith(path.sep) ? pass.root : pass.root + path.sep;
  let applied = 0;
  const apply = (from: number, stats: FileStats) => {
    pass.apply(from, stats);
    applied = from + stats.kinds.length;
  };
  const source = pass.worker === undefined ? statWorkerSource : pass.worker;
  if (source !== null && pass.count >= workerMin) await onWorker(source, pass, prefix, () => applied, apply).catch(() => undefined);
  while (applied < pass.count && !pass.signal.aborted) {
    apply(applied, statSlice(prefix, pass.idAt, applied, Math.min(pass.count, applied + mainSlice)));
    await pass.turn();
  }
}

function onWorker(source: string, pass: StatPass, prefix: string, applied: () => number, apply: (from: number, stats: FileStats) => void): Promise<void> {
  const { count, idAt, turn, signal } = pass;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 64 } });
    let asked = applied();
    let inFlight = 0;
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      signal.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => end();
    const ask = () => {
      while (!ended && !signal.aborted && inFlight < inFlightMax && asked < count) {
        const from = asked;
        const to = Math.min(count, from + workerSlice);
        const ids = new Array<string>(to - from);
        for (let k = from; k < to; k++) ids[k - from] = idAt(k);
        worker.postMessage({ prefix, ids, from });
        asked = to;
        inFlight++;
      }
      if (signal.aborted || (inFlight === 0 && asked >= count)) end();
    };
    signal.addEventListener('abort', onAbort);
    worker.on('message', (stats: FileStats & { from: number }) => {
      if (ended) return;
      inFlight--;
      apply(stats.from, stats);
      void turn().then(ask);
    });
    worker.on('error', (error) => end(error));
    worker.on('exit', (code) => end(new Error(`The stat worker ended (${code}).`)));
    ask();
  });
}

/** The stats of paths `from` .. `to`, read on main's thread: the worker's loop, which runs from
 *  its source string above and cannot import this one (keep the two alike). */
function statSlice(prefix: string, idAt: (k: number) => string, from: number, to: number): FileStats {
  const n = to - from;
  const stats: FileStats = { sizes: new Float64Array(n), mtimes: new Float64Array(n), kinds: new Uint8Array(n), threadId };
  for (let j = 0; j < n; j++) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(prefix + idAt(from + j), { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    if (!st) continue;
    stats.kinds[j] = st.isFile() ? regularFile : 2;
    stats.sizes[j] = st.size;
    stats.mtimes[j] = st.mtimeMs;
  }
  return stats;
}
