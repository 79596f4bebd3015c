import fs from 'node:fs/promises';
import path from 'node:path';
import { nextTurn } from './next-turn';

// Keeps a disk cache under a byte budget by removing its least recently used files.
//
// "Recently used" is the file's mtime, not its atime: many systems mount noatime (or relatime,
// which updates atime at most daily) and Windows does not keep access times by default, so
// atime cannot be trusted. The cache's owner touches a file's mtime when it serves it (as
// ccache does); files are written once under content keys, so mtime means nothing else there.
// Sizes are file lengths (st.size), not blocks on disk: close enough for a budget.
//
// A prune never holds up requests: all file-system calls are async and go in small batches with
// a turn of the event loop between them, so libuv's few threads keep serving reads meanwhile.

/** Files being written end with this; they are never counted nor removed while fresh. */
export const tempSuffix = '.tmp';

const defaultCacheBudget = 1024 ** 3;
/** A prune brings the cache down to this share of the budget, so it does not run at every write. */
const targetShare = 0.9;
/** A temp file this old is a leftover of a crash, not a write in progress. */
const staleTempMs = 24 * 60 * 60 * 1000;
const batchSize = 16;

export interface CacheFile {
  file: string;
  size: number;
  mtimeMs: number;
}

export interface CacheScan {
  files: CacheFile[];
  staleTemps: string[];
}

export interface PruneResult {
  /** Bytes of cache files before and after, and how many files were removed (stale temps apart). */
  bytesBefore: number;
  bytesAfter: number;
  removed: number;
}

const vanished = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';

/** Runs `task` over `items`, a few at a time, yielding to the event loop between batches. */
async function inBatches<T, R>(items: T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += batchSize) {
    out.push(...(await Promise.all(items.slice(i, i + batchSize).map(task))));
    await nextTurn();
  }
  return out;
}

/** Every regular file under `dir` with its size and mtime; files or folders that vanish are skipped. */
export async function scanCache(dir: string, now: () => number): Promise<CacheScan> {
  const scan: CacheScan = { files: [], staleTemps: [] };
  const folders = [dir];
  while (folders.length) {
    const folder = folders.pop() as string;
    let entries;
    try {
      entries = await fs.readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (vanished(error)) continue;
      throw error;
    }
    const names: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory()) folders.push(path.join(folder, entry.name));
      else if (entry.isFile()) names.push(path.join(folder, entry.name));
    }
    const stats = await inBatches(names, (file) => fs.lstat(file).catch((error: unknown) => (vanished(error) ? null : Promise.reject(error))));
    names.forEach((file, i) => {
      const st = stats[i];
      if (!st?.isFile()) return;
      if (!file.endsWith(tempSuffix)) scan.files.push({ file, size: st.size, mtimeMs: st.mtimeMs });
      else if (now() - st.mtimeMs > staleTempMs) scan.staleTemps.push(file);
    });
  }
  return scan;
}

/** Removes `file` unless it was used (or rewritten) since the scan; true when its bytes are gone. */
async function removeUnused(entry: CacheFile): Promise<boolean> {
  try {
    const st = await fs.lstat(entry.file);
    if (st.mtimeMs !== entry.mtimeMs) return false;
    await fs.unlink(entry.file);
    return true;
  } catch (error) {
    return vanished(error); // gone already counts as gone; anything else (a locked file) stays
  }
}

/** When the scanned files exceed `budget` bytes, removes the least recently used down to ~90 % of it. */
export async function trimCache(scan: CacheScan, budget: number): Promise<PruneResult> {
  await inBatches(scan.staleTemps, (file) => fs.unlink(file).catch(() => undefined));
  const bytesBefore = scan.files.reduce((sum, f) => sum + f.size, 0);
  const result = { bytesBefore, bytesAfter: bytesBefore, removed: 0 };
  if (bytesBefore <= budget) return result;
  const target = Math.floor(budget * targetShare);
  const oldestFirst = [...scan.files].sort((a, b) => a.mtimeMs - b.mtimeMs || a.file.localeCompare(b.file));
  let next = 0;
  while (result.bytesAfter > target && next < oldestFirst.length) {
    // Only as many as still needed, so the cache ends just under the target, not far below it.
    const chunk: CacheFile[] = [];
    let projected = result.bytesAfter;
    while (projected > target && chunk.length < batchSize && next < oldestFirst.length) {
      const entry = oldestFirst[next++];
      chunk.push(entry);
      projected -= entry.size;
    }
    const gone = await Promise.all(chunk.map(removeUnused));
    chunk.forEach((entry, i) => {
      if (!gone[i]) return;
      result.bytesAfter -= entry.size;
      result.removed++;
    });
    await nextTurn();
  }
  return result;
}

/** Scans `dir` and trims it to `budget` bytes (see trimCache). */
export async function pruneCache(dir: string, budget: number, now: () => number = Date.now): Promise<PruneResult> {
  return trimCache(await scanCache(dir, now), budget);
}

export interface CachePrunerOptions {
  dir: string;
  budget?: number;
  now?: () => number;
  /** New files written between prunes. */
  everyWrites?: number;
  /** Delay of the first prune after start: late enough not to compete with the first screenful. */
  startDelayMs?: number;
  /** A prune that failed; the cache still works, only its size is not kept this time. */
  onError?: (error: unknown) => void;
}

export interface CachePruner {
  /** Counts one new cache file; every `everyWrites` of them start a prune (after the running one). */
  noteWrite(): void;
  /** Resolves when no prune is running or due to follow the running one. */
  idle(): Promise<void>;
  /** Cancels the start-up prune and waits for a running one. */
  close(): Promise<void>;
  /** Prunes finished so far (for tests). */
  readonly runs: number;
}

/** Prunes `dir` once shortly after start and then after every `everyWrites` new files, one prune at a time. */
export function createCachePruner(opts: CachePrunerOptions): CachePruner {
  const budget = opts.budget ?? defaultCacheBudget;
  const everyWrites = Math.max(1, opts.everyWrites ?? 500);
  const now = opts.now ?? Date.now;
  let writes = 0;
  let runs = 0;
  let closed = false;
  let running: Promise<void> | null = null;

  const start = () => {
    if (closed || running) return;
    writes = 0;
    running = pruneCache(opts.dir, budget, now)
      .then(
        () => undefined,
        (error: unknown) => opts.onError?.(error),
      )
      .finally(() => {
        runs++;
        running = null;
        // Files written meanwhile may not have been seen by the scan.
        if (writes >= everyWrites) start();
      });
  };
  const timer = setTimeout(start, opts.startDelayMs ?? 10_000);
  timer.unref();

  const idle = async () => {
    while (running) await running;
  };
  return {
    noteWrite() {
      if (++writes >= everyWrites) start();
    },
    idle,
    async close() {
      closed = true;
      clearTimeout(timer);
      await idle();
    },
    get runs() {
      return runs;
    },
  };
}
