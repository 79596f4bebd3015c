import fs from 'node:fs/promises';
import path from 'node:path';
import { makePrivateDir, privateFileMode } from './paths';

// An append-only JSON-lines journal with "last record per key wins" semantics, kept in memory as
// a Map. Generic so corrections can reuse it with their own schema.
//
// Durability: each record is one write(2) of one complete line through a single O_APPEND handle,
// without an fsync per record. If the process dies (crash, kill -9) the kernel still has every
// completed write, so at most the records being written at that instant are lost (their line is
// torn and ignored on the next load). An OS crash or power loss can lose what the kernel had not
// flushed yet; a timer fsyncs a dirty journal every `syncIntervalMs` (default 1 s) to bound that
// window to about a second of results.
//
// Several processes (the app and the CLI) may hold one journal: O_APPEND keeps their lines whole;
// `refresh()` (also run by the timer) reads what others appended; a compaction by another process
// (a rename over the file) is noticed by inode, and this process re-appends its lines since the
// last check to the new file; a compaction here copies over whatever others appended meanwhile.

export interface JournalOptions<T> {
  path: string;
  /** Validates one parsed line; null/undefined rejects it (counted as garbled). */
  parse: (value: unknown) => T | null | undefined;
  key: (record: T) => string;
  /** Compact when the file holds more than `compactRatio` × live records (default 2). */
  compactRatio?: number;
  /** Do not bother compacting journals with fewer lines than this (default 64). */
  compactMinLines?: number;
  syncIntervalMs?: number;
  /** Writes one appended line (tests inject a failing disk here). */
  write?: (handle: fs.FileHandle, text: string) => Promise<unknown>;
}

export interface LoadStats {
  lines: number;
  live: number;
  /** Unparseable or invalid lines skipped, the torn last line included. */
  garbled: number;
  /** True when the last line had no newline (a write cut short) and was dropped. */
  tornTail: boolean;
  ms: number;
}

export interface Journal<T> {
  readonly path: string;
  readonly stats: LoadStats;
  get(key: string): T | undefined;
  has(key: string): boolean;
  /** Live records in first-seen order. */
  values(): IterableIterator<T>;
  readonly size: number;
  /** Valid lines currently in the file (live + superseded). */
  readonly lines: number;
  append(record: T): Promise<void>;
  /** Picks up what other processes appended (or a compaction they did). */
  refresh(): Promise<void>;
  compact(): Promise<void>;
  /** Flushes to stable storage now. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

const newline = 0x0a;
const chunkSize = 1 << 20;
/** Longer lines are no record of ours (a response is a few KB): skipped without being held. */
const maxLineBytes = 16 << 20;

interface RangeResult {
  /** Offset just after the last complete line read. */
  end: number;
  /** Offset where reading stopped (end of file at that moment). */
  eof: number;
  lines: number;
  garbled: number;
}

/** Applies every complete line of `file` from `start` on; a line without its newline is left.
 *  Linear in the file size however long a line is: the pieces of a line are joined once, when its
 *  newline arrives, and a line longer than `maxLineBytes` (no record is) is skipped unread. */
async function readRange<T>(file: fs.FileHandle, start: number, opts: JournalOptions<T>, map: Map<string, T>): Promise<RangeResult> {
  const result: RangeResult = { end: start, eof: start, lines: 0, garbled: 0 };
  const applyLine = (text: string) => {
    if (text.length === 0) return;
    result.lines++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      result.garbled++;
      return;
    }
    const record = opts.parse(value);
    if (record == null) result.garbled++;
    else map.set(opts.key(record), record);
  };
  // The start of a line that spans chunks, and its length; `oversized` once it passed the cap.
  let pieces: Buffer[] = [];
  let pending = 0;
  let oversized = false;
  let position = start;
  const buffer = Buffer.allocUnsafe(chunkSize);
  for (;;) {
    const { bytesRead } = await file.read(buffer, 0, chunkSize, position);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    const chunkStart = position;
    position += bytesRead;
    const first = chunk.indexOf(newline);
    if (first === -1) {
      pending += bytesRead;
      if (pending > maxLineBytes) {
        oversized = true;
        pieces = [];
      }
      if (!oversized) pieces.push(Buffer.from(chunk));
      continue;
    }
    // The line that ends at `first` (joined with its earlier pieces once).
    if (oversized) {
      result.lines++;
      result.garbled++;
    } else {
      applyLine((pieces.length ? Buffer.concat([...pieces, chunk.subarray(0, first)]) : chunk.subarray(0, first)).toString('utf8'));
    }
    pieces = [];
    pending = 0;
    oversized = false;
    // Newline bytes never occur inside a UTF-8 sequence, so decoding up to the last one and
    // splitting the text is safe, and much cheaper than decoding line by line.
    const last = chunk.lastIndexOf(newline);
    if (last > first) {
      const text = chunk.toString('utf8', first + 1, last);
      let from = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
        applyLine(text.slice(from, nl));
        from = nl + 1;
      }
      applyLine(text.slice(from));
    }
    result.end = chunkStart + last + 1;
    if (last + 1 < bytesRead) {
      pieces = [Buffer.from(chunk.subarray(last + 1))];
      pending = bytesRead - last - 1;
    }
  }
  result.eof = position;
  return result;
}

/** Opens a journal for appending, readable by the user only (older journals are tightened). */
async function openPrivate(file: string): Promise<fs.FileHandle> {
  const handle = await fs.open(file, 'a+', privateFileMode);
  if (process.platform !== 'win32') await handle.chmod(privateFileMode).catch(() => undefined);
  return handle;
}

/** Cuts a torn last line (no newline: an append that failed part way, e.g. disk full) so the next
 *  append starts on a line of its own instead of being glued to the fragment. */
async function cutTornTail(file: fs.FileHandle): Promise<void> {
  let end = (await file.stat()).size;
  const buffer = Buffer.allocUnsafe(64 * 1024);
  const size = end;
  while (end > 0) {
    const from = Math.max(0, end - buffer.length);
    const { bytesRead } = await file.read(buffer, 0, end - from, from);
    const nl = buffer.subarray(0, bytesRead).lastIndexOf(newline);
    if (nl !== -1) {
      if (from + nl + 1 < size) await file.truncate(from + nl + 1);
      return;
    }
    end = from;
  }
  if (size > 0) await file.truncate(0);
}

/** Opens (creating if needed) a journal and loads it; compacts it when it is mostly superseded. */
export async function openJournal<T>(opts: JournalOptions<T>): Promise<Journal<T>> {
  const started = performance.now();
  await makePrivateDir(path.dirname(opts.path));
  let map = new Map<string, T>();
  let handle = await openPrivate(opts.path);
  const first = await readRange(handle, 0, opts, map);
  const stats: LoadStats = { lines: first.lines, live: 0, garbled: first.garbled, tornTail: false, ms: 0 };
  if (first.eof > first.end) {
    // A line without its newline is a write that never finished: never trust it, even if it
    // happens to parse, and cut it off so the next append starts on a fresh line.
    stats.lines++;
    stats.garbled++;
    stats.tornTail = true;
    await handle.truncate(first.end);
  }
  stats.live = map.size;
  stats.ms = performance.now() - started;

  const write = opts.write ?? ((file: fs.FileHandle, text: string) => file.write(text));
  const ratio = opts.compactRatio ?? 2;
  const minLines = opts.compactMinLines ?? 64;
  let lines = first.lines - first.garbled;
  let ino = (await handle.stat()).ino;
  let known = first.end; // bytes of the file already applied to the map
  let ourBytes = 0; // bytes this process appended since `known`
  let ours = 0; // lines this process appended since `known`
  let recent: string[] = []; // our lines since the last inode check
  let dirty = false;
  let closed = false;
  // Every file operation runs in this chain, so lines never interleave and compaction never
  // races an append.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <R>(task: () => Promise<R>): Promise<R> => {
    const next = chain.then(task, task);
    chain = next.catch(() => undefined);
    return next;
  };

  const reloadAll = async () => {
    const fresh = new Map<string, T>();
    const read = await readRange(handle, 0, opts, fresh);
    map = fresh;
    lines = read.lines - read.garbled;
    known = read.end;
    ourBytes = 0;
    ours = 0;
  };

  const refreshNow = async () => {
    const onDisk = await fs.stat(opts.path).catch(() => null);
    if (!onDisk || onDisk.ino !== ino) {
      // Another process replaced the file (its compaction): our lines since the last check went
      // to the old inode, so write them again into the new file, then read it whole.
      await handle.close();
      handle = await openPrivate(opts.path);
      ino = (await handle.stat()).ino;
      if (recent.length) await handle.write(recent.join(''));
      recent = [];
      await reloadAll();
      return;
    }
    recent = [];
    if (onDisk.size === known + ourBytes) {
      known = onDisk.size;
    } else if (onDisk.size > known + ourBytes) {
      // Others appended: read from where we were; our own lines in that range apply again, in
      // file order, which changes nothing.
      const read = await readRange(handle, known, opts, map);
      lines += read.lines - read.garbled - ours;
      known = read.end;
    } else {
      return reloadAll();
    }
    ourBytes = 0;
    ours = 0;
  };

  const compactNow = async () => {
    await refreshNow();
    const temp = `${opts.path}.${process.pid}.${Date.now()}.tmp`;
    const out = await fs.open(temp, 'w', privateFileMode);
    try {
      let batch: string[] = [];
      for (const record of map.values()) {
        batch.push(JSON.stringify(record));
        if (batch.length >= 1000) {
          await out.write(batch.join('\n') + '\n');
          batch = [];
        }
      }
      if (batch.length) await out.write(batch.join('\n') + '\n');
      await out.sync();
    } finally {
      await out.close();
    }
    await fs.rename(temp, opts.path);
    // Lines another process appended to the old file while we wrote the new one: the old inode is
    // still open here, so read them and carry them over.
    const late = new Map<string, T>();
    await readRange(handle, known, opts, late);
    await handle.close();
    handle = await openPrivate(opts.path);
    ino = (await handle.stat()).ino;
    if (late.size) {
      await handle.write([...late.values()].map((r) => JSON.stringify(r) + '\n').join(''));
      for (const [key, record] of late) map.set(key, record);
    }
    lines = map.size;
    known = (await handle.stat()).size;
    ourBytes = 0;
    ours = 0;
    recent = [];
    dirty = false;
  };
  const needsCompaction = () => lines >= minLines && lines > ratio * map.size;

  if (needsCompaction()) await compactNow();

  const interval = opts.syncIntervalMs ?? 1000;
  const timer = setInterval(() => {
    if (closed) return;
    void serial(async () => {
      if (closed) return;
      await refreshNow();
      if (dirty) {
        dirty = false;
        await handle.datasync();
      }
    }).catch(() => undefined);
  }, interval);
  timer.unref();

  return {
    path: opts.path,
    stats,
    get: (key) => map.get(key),
    has: (key) => map.has(key),
    values: () => map.values(),
    get size() {
      return map.size;
    },
    get lines() {
      return lines;
    },
    append(record) {
      const line = JSON.stringify(record) + '\n';
      return serial(async () => {
        if (closed) throw new Error('journal closed');
        try {
          await write(handle, line);
        } catch (error) {
          await cutTornTail(handle).catch(() => undefined);
          throw error;
        }
        map.set(opts.key(record), record);
        lines++;
        ours++;
        ourBytes += Buffer.byteLength(line);
        recent.push(line);
        dirty = true;
        if (needsCompaction()) await compactNow();
      });
    },
    refresh: () =>
      serial(async () => {
        if (!closed) await refreshNow();
      }),
    compact: () => serial(compactNow),
    sync: () =>
      serial(async () => {
        if (closed) return;
        dirty = false;
        await handle.datasync();
      }),
    close: () =>
      serial(async () => {
        if (closed) return;
        closed = true;
        clearInterval(timer);
        if (dirty) await handle.datasync();
        await handle.close();
      }),
  };
}
