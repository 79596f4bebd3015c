import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

// An append-only JSON-lines journal with "last record per key wins" semantics, kept in memory as
// a Map. Generic so corrections (issue 6) can reuse it with their own schema.
//
// Durability: each record is one write(2) of one complete line through a single O_APPEND handle,
// without an fsync per record. If the process dies (crash, kill -9) the kernel still has every
// completed write, so at most the records being written at that instant are lost (their line is
// torn and ignored on the next load). An OS crash or power loss can lose what the kernel had not
// flushed yet; a timer fsyncs a dirty journal every `syncIntervalMs` (default 1 s) to bound that
// window to about a second of results.

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
  /** Lines currently in the file (live + superseded). */
  readonly lines: number;
  append(record: T): Promise<void>;
  compact(): Promise<void>;
  /** Flushes to stable storage now. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

const newline = 0x0a;

/** Reads the file, applies every valid line, and truncates a torn tail so appends stay aligned. */
async function loadInto<T>(opts: JournalOptions<T>, map: Map<string, T>): Promise<LoadStats> {
  const started = performance.now();
  const stats: LoadStats = { lines: 0, live: 0, garbled: 0, tornTail: false, ms: 0 };
  let goodEnd = 0; // byte offset just after the last complete line
  let offset = 0;
  let carry: Buffer | null = null;
  const applyLine = (text: string) => {
    if (text.length === 0) return;
    stats.lines++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      stats.garbled++;
      return;
    }
    const record = opts.parse(value);
    if (record == null) {
      stats.garbled++;
      return;
    }
    map.set(opts.key(record), record);
  };
  try {
    const stream = createReadStream(opts.path, { highWaterMark: 1 << 20 });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      const bufStart = offset - (carry ? carry.length : 0);
      const last = buf.lastIndexOf(newline);
      if (last === -1) {
        carry = buf;
      } else {
        // Newline bytes never occur inside a UTF-8 sequence, so decoding up to the last one and
        // splitting the text is safe, and much cheaper than decoding line by line.
        const text = buf.toString('utf8', 0, last);
        let from = 0;
        for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
          applyLine(text.slice(from, nl));
          from = nl + 1;
        }
        applyLine(text.slice(from));
        goodEnd = bufStart + last + 1;
        carry = last + 1 < buf.length ? buf.subarray(last + 1) : null;
      }
      offset += chunk.length;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (carry && carry.length > 0) {
    // A line without its newline is a write the process did not finish: never trust it, even if
    // it happens to parse, and cut it off so the next append starts on a fresh line.
    stats.lines++;
    stats.garbled++;
    stats.tornTail = true;
    await fs.truncate(opts.path, goodEnd);
  }
  stats.live = map.size;
  stats.ms = performance.now() - started;
  return stats;
}

/** Opens (creating if needed) a journal and loads it; compacts it when it is mostly superseded. */
export async function openJournal<T>(opts: JournalOptions<T>): Promise<Journal<T>> {
  await fs.mkdir(path.dirname(opts.path), { recursive: true });
  const map = new Map<string, T>();
  const stats = await loadInto(opts, map);
  const ratio = opts.compactRatio ?? 2;
  const minLines = opts.compactMinLines ?? 64;
  let lines = stats.lines - stats.garbled;
  let handle = await fs.open(opts.path, 'a');
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

  const compactNow = async () => {
    const temp = `${opts.path}.${process.pid}.${Date.now()}.tmp`;
    const out = await fs.open(temp, 'w');
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
    await handle.close();
    await fs.rename(temp, opts.path);
    handle = await fs.open(opts.path, 'a');
    lines = map.size;
    dirty = false;
  };
  const needsCompaction = () => lines >= minLines && lines > ratio * map.size;

  if (needsCompaction()) await compactNow();

  const interval = opts.syncIntervalMs ?? 1000;
  const timer = setInterval(() => {
    if (dirty && !closed) void serial(async () => {
      if (!dirty || closed) return;
      dirty = false;
      await handle.datasync();
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
        await handle.write(line);
        map.set(opts.key(record), record);
        lines++;
        dirty = true;
        if (needsCompaction()) await compactNow();
      });
    },
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
