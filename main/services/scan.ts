import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { imageExtensions, type ImageEntry, type ScanProblem } from '../../app/types';
import { nextTurn } from './next-turn';

// Streaming folder scan: yields image entries as directories are read, so the first screen can
// appear long before a 50k-image folder is done. Never throws for one bad file or folder: those
// come out as problems. Ids are relative POSIX paths built from the on-disk names (no Unicode
// normalisation), so an id always leads back to the very same file.

export type ScanItem = ImageEntry | { problem: ScanProblem };

export interface ScanOptions {
  recursive?: boolean;
  signal?: AbortSignal;
  /** Told each folder's modification time, read just before the folder is listed (listing cache). */
  onFolder?: (realPath: string, mtimeMs: number) => void;
  /** Plain image files come out as soon as their folder is read, with size and mtime -1 (not yet
   *  read: `identify` reads them later), so a listing's ids need no stat per file. Links are still
   *  resolved at once. */
  deferStats?: boolean;
}

const extensionSet = new Set<string>(imageExtensions);
/** Files stat'ed per slice: enough to keep libuv's threads busy, small enough to stay responsive. */
const statChunk = 64;
/** A slice of synchronous stats slower than this looks like a slow (network) disk... */
const slowSliceMs = 8;
/** ...but only this many slow slices in a row switch the scan to asynchronous stats: one slow
 *  slice is as often a GC pause or a busy CPU, and thread-pool stats cost several times more. */
const slowSlicesToSwitch = 3;
/** Synchronous work between two turns of the event loop (thumbnails and IPC wait no longer). */
const turnMs = 10;
/** Items handed out at most per slice of scanFolderSlices. */
const sliceMax = 4096;

/** True when the file name has an image extension the library recognises (any case). */
export function isImageName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && extensionSet.has(name.slice(dot + 1).toLowerCase());
}

/** True when `inner` is `outer` or lies inside it (both real absolute paths). */
export function isInside(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export function isProblem(item: ScanItem): item is { problem: ScanProblem } {
  return 'problem' in item;
}

/** A name the OS gave as bytes that are not UTF-8: decoding put U+FFFD in it, so the name no longer
 *  leads back to the file (reading it says "not found"). Only such names fail that way. */
const notUtf8 = 'Its name is not valid UTF-8 text (an older or foreign encoding), so it cannot be opened by name. Rename it, then rescan.';

function reason(error: unknown, name = ''): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' && name.includes('\uFFFD')) return notUtf8;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'Permission denied: check that you may read it.';
    case 'ENOENT':
      return 'It disappeared while scanning, or is a broken link.';
    case 'ELOOP':
      return 'It is a link that points back to itself.';
    case 'EIO':
      return 'The disk reported an input/output error.';
    default:
      return `It could not be read (${code ?? (error instanceof Error ? error.message : String(error))}).`;
  }
}

interface Candidate {
  rel: string;
  name: string;
  link: boolean;
}

/** Scans `root` for images; breaking out of the loop (or aborting `signal`) stops the scan. */
export async function* scanFolder(root: string, opts: ScanOptions = {}): AsyncGenerator<ScanItem, void, undefined> {
  for await (const items of scanFolderSlices(root, opts)) yield* items;
}

/**
 * The scan as slices of items (a few hundred to a few thousand each): at 250,000 files, one
 * async-generator hand-over per file cost a second of the main process's time on its own.
 */
export async function* scanFolderSlices(root: string, opts: ScanOptions = {}): AsyncGenerator<ScanItem[], void, undefined> {
  const recursive = opts.recursive ?? true;
  const deferStats = opts.deferStats ?? false;
  const rootReal = await fsp.realpath(root);
  const visited = new Set<string>([rootReal]);
  const mode: StatMode = { sync: true, slow: 0, lastYield: performance.now() };
  // Breadth first: the top folder's images come first, which is what the user sees first.
  const queue: Array<{ rel: string; real: string }> = [{ rel: '', real: rootReal }];
  let out: ScanItem[] = [];

  for (let head = 0; head < queue.length; head++) {
    if (opts.signal?.aborted) return;
    const dirRel = queue[head].rel;
    const dirAbs = queue[head].real;
    queue[head] = { rel: '', real: '' }; // let the strings go as the queue grows
    let chunk: Candidate[] = [];
    const take = (dirent: fs.Dirent): void => {
      const name = dirent.name;
      if (name.startsWith('.')) return;
      const rel = dirRel ? `${dirRel}/${name}` : name;
      if (dirent.isDirectory()) {
        if (recursive) enqueueDir(queue, visited, rel, path.join(dirAbs, name));
        return;
      }
      // Links, and entries whose type the file system did not report, are resolved with stat.
      const link = dirent.isSymbolicLink() || isUnknownType(dirent);
      if (!link && !isImageName(name)) return;
      if (!link && !dirent.isFile()) {
        out.push({ problem: { path: rel, code: 'unreadable_file', message: 'It is not a regular file.' } });
        return;
      }
      if (deferStats && !link) out.push({ id: rel, name, size: -1, mtimeMs: -1 });
      else chunk.push({ rel, name, link });
    };
    const flushChunk = async (): Promise<void> => {
      await statChunkItems(chunk, dirAbs, rootReal, recursive, queue, visited, mode, out);
      chunk = [];
    };
    if (mode.sync) {
      // Listing without stats (deferStats) never waits on anything: give the event loop its turns.
      if (performance.now() - mode.lastYield >= turnMs) {
        await nextTurn();
        mode.lastYield = performance.now();
      }
      // A local directory listing costs well under a millisecond per thousand names: read it in
      // one call, as a thread-pool round trip per 256 names left the process idle for seconds on
      // a busy machine.
      const started = performance.now();
      let dirents: fs.Dirent[];
      try {
        if (opts.onFolder) opts.onFolder(dirAbs, fs.statSync(dirAbs).mtimeMs);
        dirents = fs.readdirSync(dirAbs, { withFileTypes: true });
      } catch (error) {
        out.push({ problem: { path: dirRel || '.', code: 'unreadable_folder', message: reason(error, dirRel) } });
        continue;
      }
      noteSlice(mode, performance.now() - started);
      for (const dirent of dirents) {
        take(dirent);
        if (chunk.length >= statChunk) await flushChunk();
        if (out.length >= sliceMax || mode.yieldNow) {
          mode.yieldNow = false;
          yield out;
          out = [];
          if (opts.signal?.aborted) return;
        }
      }
    } else {
      let dir: fs.Dir;
      try {
        if (opts.onFolder) opts.onFolder(dirAbs, (await fsp.stat(dirAbs)).mtimeMs);
        dir = await fsp.opendir(dirAbs, { bufferSize: 256 });
      } catch (error) {
        out.push({ problem: { path: dirRel || '.', code: 'unreadable_folder', message: reason(error, dirRel) } });
        continue;
      }
      try {
        for await (const dirent of dir) {
          take(dirent);
          if (chunk.length >= statChunk) await flushChunk();
          if (out.length >= sliceMax || mode.yieldNow) {
            mode.yieldNow = false;
            yield out;
            out = [];
            if (opts.signal?.aborted) return;
          }
        }
      } catch (error) {
        out.push({ problem: { path: dirRel || '.', code: 'unreadable_folder', message: reason(error) } });
      }
    }
    if (chunk.length) await flushChunk();
    // Each folder's items go out when it is done (the consumer sees the top folder before the
    // next is opened), and a large folder's every sliceMax items or turn.
    if (out.length) {
      mode.yieldNow = false;
      yield out;
      out = [];
      if (opts.signal?.aborted) return;
    }
  }
  if (out.length) yield out;
}

function isUnknownType(d: fs.Dirent): boolean {
  return !(d.isFile() || d.isDirectory() || d.isSymbolicLink() || d.isFIFO() || d.isSocket() || d.isBlockDevice() || d.isCharacterDevice());
}

function enqueueDir(queue: Array<{ rel: string; real: string }>, visited: Set<string>, rel: string, real: string): void {
  if (visited.has(real)) return;
  visited.add(real);
  queue.push({ rel, real });
}

async function statChunkItems(
  chunk: Candidate[],
  dirAbs: string,
  rootReal: string,
  recursive: boolean,
  queue: Array<{ rel: string; real: string }>,
  visited: Set<string>,
  mode: StatMode,
  out: ScanItem[],
): Promise<void> {
  const results = await inspectAll(chunk, dirAbs, rootReal, mode);
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk[i];
    const r = results[i];
    if ('problem' in r) {
      out.push(r);
    } else if ('dir' in r) {
      if (!recursive) continue;
      if (visited.has(r.dir) || isInside(r.dir, path.join(dirAbs, c.name))) {
        out.push({ problem: { path: c.rel, code: 'symlink_loop', message: 'This link leads to a folder that is already being scanned; skipped.' } });
      } else {
        enqueueDir(queue, visited, c.rel, r.dir);
      }
    } else if (r.entry) {
      out.push(r.entry);
    }
  }
}

type Inspected = { entry: ImageEntry | null } | { dir: string } | { problem: ScanProblem };
interface StatMode {
  sync: boolean;
  /** Slow synchronous slices in a row. */
  slow: number;
  /** When the scan last let the event loop run. */
  lastYield: number;
  /** Set when the scan has held the event loop for `turnMs`: hand out what was found and yield. */
  yieldNow?: boolean;
}

/** Counts a slow synchronous slice; a few in a row switch the scan to asynchronous reads. */
function noteSlice(mode: StatMode, ms: number): void {
  mode.slow = ms > slowSliceMs ? mode.slow + 1 : 0;
  if (mode.slow >= slowSlicesToSwitch) mode.sync = false;
}

/**
 * Stats a slice of files. On a local disk a synchronous stat of a cached inode costs a few µs
 * while a thread-pool round trip costs far more on a busy machine (50k files: ~0.2 s against
 * ~1 s), so plain files are stat'ed synchronously, a small slice at a time, yielding to the event
 * loop after each slice. A few slow slices in a row (a network share) switch the scan to async
 * stats; at 250,000 files the first hiccup used to switch a local scan, tripling its time.
 */
async function inspectAll(chunk: Candidate[], dirAbs: string, rootReal: string, mode: StatMode): Promise<Inspected[]> {
  if (!mode.sync || chunk.some((c) => c.link)) {
    const results = await Promise.all(chunk.map((c) => inspect(c, path.join(dirAbs, c.name), rootReal)));
    if (performance.now() - mode.lastYield >= turnMs) {
      mode.lastYield = performance.now();
      mode.yieldNow = true;
    }
    return results;
  }
  const started = performance.now();
  const results = chunk.map((c) => inspectSync(c, path.join(dirAbs, c.name)));
  const now = performance.now();
  noteSlice(mode, now - started);
  // The event loop gets a turn every few milliseconds of stats, not after every slice: a turn on
  // a busy machine can cost far more than the slice itself.
  if (now - mode.lastYield >= turnMs) {
    await nextTurn();
    mode.lastYield = performance.now();
    mode.yieldNow = true;
  }
  return results;
}

/** The entry of a plain image file listed with `deferStats` (its size and mtime read now), or the
 *  problem that keeps it out (it vanished, or is no longer a regular file). */
export function identify(rootReal: string, entry: Pick<ImageEntry, 'id' | 'name'>): ImageEntry | { problem: ScanProblem } {
  const r = inspectSync({ rel: entry.id, name: entry.name, link: false }, path.join(rootReal, entry.id));
  if ('problem' in r) return r;
  return 'entry' in r && r.entry ? r.entry : { problem: { path: entry.id, code: 'unreadable_file', message: 'It is not a regular file.' } };
}

function inspectSync(c: Candidate, abs: string): Inspected {
  try {
    return fromStat(c, fs.statSync(abs));
  } catch (error) {
    return { problem: { path: c.rel, code: 'unreadable_file', message: reason(error, c.name) } };
  }
}

function fromStat(c: Candidate, st: fs.Stats): Inspected {
  if (!st.isFile()) return { problem: { path: c.rel, code: 'unreadable_file', message: 'It is not a regular file.' } };
  return { entry: { id: c.rel, name: c.name, size: st.size, mtimeMs: st.mtimeMs } };
}

async function inspect(c: Candidate, abs: string, rootReal: string): Promise<Inspected> {
  try {
    const st = await fsp.stat(abs);
    if (c.link) {
      const real = await fsp.realpath(abs);
      if (!isInside(rootReal, real)) {
        const what = st.isDirectory() ? 'unreadable_folder' : 'unreadable_file';
        if (!st.isDirectory() && !isImageName(c.name)) return { entry: null };
        return { problem: { path: c.rel, code: what, message: 'It is a link to a place outside the opened folder; not followed.' } };
      }
      if (st.isDirectory()) return { dir: real };
      if (!isImageName(c.name)) return { entry: null };
    }
    return fromStat(c, st);
  } catch (error) {
    // A broken or looping link without an image name is not something the user asked for.
    if (c.link && !isImageName(c.name)) return { entry: null };
    const code = (error as NodeJS.ErrnoException).code === 'ELOOP' ? 'symlink_loop' : 'unreadable_file';
    return { problem: { path: c.rel, code, message: reason(error, c.name) } };
  }
}
