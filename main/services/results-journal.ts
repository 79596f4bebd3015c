import fs from 'node:fs/promises';
import path from 'node:path';
import { appendLine, openForAppend, writeToHandle, type WriteLine } from './journal-append';
import { writeCompacted } from './journal-compact';
import type { BriefStore } from './journal-briefs';
import { JournalIndex, type JournalRows } from './journal-index';
import type { RangeResult, RecordRules } from './journal-read';
import { readSidecar, writeSidecar, type BriefCodec } from './journal-sidecar';
import { nextTurn, type Turn } from './next-turn';
import { makePrivateDir } from './paths';

// An append-only JSON-lines journal with "last record per key wins" semantics, kept in memory as
// a Map (of the records, or, with a `brief` rule, of a brief per record plus where its line is,
// the record being read back from the file on demand). Generic so corrections can reuse it with
// their own schema.
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
//
// The parts: journal-read.ts parses lines into records, journal-index.ts keeps the records and how
// much of the file they reflect, journal-append.ts writes lines, journal-compact.ts rewrites the file.

export interface JournalOptions<T, B = undefined, S extends BriefStore<B> = BriefStore<B>> extends RecordRules<T, B> {
  path: string;
  /** Compact when the file holds more than `compactRatio` × live records (default 2). */
  compactRatio?: number;
  /** Do not bother compacting journals with fewer lines than this (default 64). */
  compactMinLines?: number;
  syncIntervalMs?: number;
  /** Writes one appended line (tests inject a failing disk here). */
  write?: WriteLine;
  /** With a `brief` rule: keep the index in this file beside the journal, so a re-open of an
   *  unchanged journal reads it instead of every line (see journal-sidecar.ts). */
  sidecar?: { path: string; codec: BriefCodec<B, S> };
  /** With a `brief` rule: an empty store for the briefs (default: the briefs as made, in an array). */
  briefStore?: () => S;
  /** The turn of the event loop a sidecar's read takes between its steps (default: the next one). */
  turn?: Turn;
}

export interface LoadStats {
  lines: number;
  live: number;
  /** Unparseable or invalid lines skipped, the torn last line included. */
  garbled: number;
  /** True when the last line had no newline (a write cut short) and was dropped. */
  tornTail: boolean;
  ms: number;
  /** True when the index came from the briefs sidecar rather than from reading every line. */
  sidecar?: boolean;
}

export interface Journal<T, B = unknown, S extends BriefStore<B> = BriefStore<B>> {
  readonly path: string;
  readonly stats: LoadStats;
  get(key: string): T | undefined;
  has(key: string): boolean;
  /** Live records in first-seen order. */
  values(): IterableIterator<T>;
  /** Each live key with its record's brief (the `brief` rule's), in the same order: no record is read. */
  briefs(): IterableIterator<[string, B]>;
  /** The brief of one key's record (no read). */
  brief(key: string): B | undefined;
  /** The live keys and their briefs by row, in first-seen order (no read, no object per brief).
   *  Valid until the journal is next changed; ask again rather than keep it. */
  rows(): JournalRows<S>;
  /** The key's row in `rows()`, or -1. */
  rowOf(key: string): number;
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

class FileJournal<T, B, S extends BriefStore<B>> implements Journal<T, B, S> {
  readonly path: string;
  readonly stats: LoadStats;
  readonly #index: JournalIndex<T, B, S>;
  readonly #write: WriteLine;
  readonly #ratio: number;
  readonly #minLines: number;
  readonly #sidecar: JournalOptions<T, B, S>['sidecar'];
  #handle: fs.FileHandle;
  #ino = 0;
  /** Garbled lines in the file as last read whole (for the sidecar's stats). */
  #garbled: number;
  #dirty = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  // Every file operation runs in this chain, so lines never interleave and compaction never
  // races an append.
  #chain: Promise<unknown> = Promise.resolve();

  constructor(opts: JournalOptions<T, B, S>, stats: LoadStats, index: JournalIndex<T, B, S>, handle: fs.FileHandle) {
    this.path = opts.path;
    this.stats = stats;
    this.#index = index;
    this.#handle = handle;
    this.#write = opts.write ?? writeToHandle;
    this.#ratio = opts.compactRatio ?? 2;
    this.#minLines = opts.compactMinLines ?? 64;
    this.#sidecar = opts.sidecar;
    this.#garbled = stats.garbled;
  }

  get(key: string): T | undefined {
    return this.#index.get(key);
  }

  has(key: string): boolean {
    return this.#index.has(key);
  }

  values(): IterableIterator<T> {
    return this.#index.values();
  }

  briefs(): IterableIterator<[string, B]> {
    return this.#index.briefs();
  }

  brief(key: string): B | undefined {
    return this.#index.brief(key);
  }

  rows(): JournalRows<S> {
    return this.#index.rows();
  }

  rowOf(key: string): number {
    return this.#index.rowOf(key);
  }

  get size(): number {
    return this.#index.size;
  }

  get lines(): number {
    return this.#index.lines;
  }

  append(record: T): Promise<void> {
    const line = JSON.stringify(record) + '\n';
    return this.#serial(async () => {
      if (this.#closed) throw new Error('journal closed');
      await appendLine(this.#handle, line, this.#write);
      this.#index.appended(record, line);
      this.#dirty = true;
      if (this.needsCompaction()) await this.#compactNow();
    });
  }

  refresh(): Promise<void> {
    return this.#serial(async () => {
      if (!this.#closed) await this.#refreshNow();
    });
  }

  compact(): Promise<void> {
    return this.#serial(() => this.#compactNow());
  }

  sync(): Promise<void> {
    return this.#serial(async () => {
      if (this.#closed) return;
      this.#dirty = false;
      await this.#handle.datasync();
    });
  }

  close(): Promise<void> {
    return this.#serial(async () => {
      if (this.#closed) return;
      this.#closed = true;
      clearInterval(this.#timer);
      if (this.#dirty) await this.#handle.datasync();
      this.#index.close();
      await this.#handle.close();
    });
  }

  /** Writes the sidecar for the file as the index now reflects it (nothing when the file holds
   *  more than that, or some line of ours is not located yet). A failure only costs the next open time. */
  saveSidecar(): Promise<void> {
    return this.#serial(async () => {
      if (this.#closed) return;
      await this.#saveSidecarNow();
    }).catch(() => undefined);
  }

  async #saveSidecarNow(): Promise<void> {
    if (!this.#sidecar) return;
    const snapshot = this.#index.snapshot(this.#garbled);
    if (!snapshot) return;
    const stat = await this.#handle.stat();
    if (stat.size !== snapshot.known || stat.ino !== this.#ino) return;
    await writeSidecar(this.#sidecar.path, { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino }, snapshot.data, this.#sidecar.codec);
  }

  needsCompaction(): boolean {
    return this.#index.needsCompaction(this.#minLines, this.#ratio);
  }

  async noteInode(): Promise<void> {
    this.#ino = (await this.#handle.stat()).ino;
  }

  /** Picks up other processes' appends and fsyncs a dirty journal every `interval` ms. */
  startSyncTimer(interval: number): void {
    this.#timer = setInterval(() => {
      if (this.#closed) return;
      void this.#serial(async () => {
        if (this.#closed) return;
        await this.#refreshNow();
        if (this.#dirty) {
          this.#dirty = false;
          await this.#handle.datasync();
        }
      }).catch(() => undefined);
    }, interval);
    this.#timer.unref();
  }

  #serial<R>(task: () => Promise<R>): Promise<R> {
    const next = this.#chain.then(task, task);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** Opens the file at the path again; answers the previous handle, which the caller closes once
   *  the index no longer reads through it. */
  async #reopen(): Promise<fs.FileHandle> {
    const previous = this.#handle;
    this.#handle = await openForAppend(this.path);
    await this.noteInode();
    return previous;
  }

  async #refreshNow(): Promise<void> {
    const onDisk = await fs.stat(this.path).catch(() => null);
    if (onDisk && onDisk.ino === this.#ino) {
      await this.#index.catchUp(this.#handle, onDisk.size);
      return;
    }
    // Another process replaced the file (its compaction): our lines since the last check went
    // to the old inode, so write them again into the new file, then read it whole.
    const previous = await this.#reopen();
    try {
      const recent = this.#index.takeRecent();
      if (recent.length) await this.#handle.write(recent.join(''));
      await this.#index.load(this.#handle);
    } finally {
      await previous.close();
    }
  }

  async #compactNow(): Promise<void> {
    await this.#refreshNow();
    await writeCompacted(this.path, this.#index.values());
    // Lines another process appended to the old file while we wrote the new one: the old inode is
    // still open here, so read them and carry them over.
    const late = await this.#index.readLate(this.#handle);
    const previous = await this.#reopen();
    try {
      if (late.size) await this.#handle.write([...late.values()].map((r) => JSON.stringify(r) + '\n').join(''));
      // A lean index must learn where each line of the new file is: it reads it.
      if (this.#index.lean) await this.#index.load(this.#handle);
      else this.#index.compacted(late, (await this.#handle.stat()).size);
    } finally {
      await previous.close();
    }
    this.#dirty = false;
    this.#garbled = 0;
    await this.#saveSidecarNow().catch(() => undefined);
  }
}

/** Stats of the first load; a torn last line is cut off the file. */
async function firstLoadStats(handle: fs.FileHandle, first: RangeResult, live: number, started: number): Promise<LoadStats> {
  const stats: LoadStats = { lines: first.lines, live, garbled: first.garbled, tornTail: false, ms: 0 };
  if (first.eof > first.end) {
    // A line without its newline is a write that never finished: never trust it, even if it
    // happens to parse, and cut it off so the next append starts on a fresh line.
    stats.lines++;
    stats.garbled++;
    stats.tornTail = true;
    await handle.truncate(first.end);
  }
  stats.ms = performance.now() - started;
  return stats;
}

/** The index from the sidecar when it stands for the file as it is, with the stats of the read it
 *  was made from; null when the file must be read. */
async function restoreFromSidecar<T, B, S extends BriefStore<B>>(handle: fs.FileHandle, index: JournalIndex<T, B, S>, sidecar: NonNullable<JournalOptions<T, B, S>['sidecar']>, started: number, turn: Turn = nextTurn): Promise<LoadStats | null> {
  const stat = await handle.stat();
  if (stat.size === 0) return null;
  const data = await readSidecar(sidecar.path, { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino }, sidecar.codec, turn);
  if (!data || !(await index.restore(handle, data, stat.size, undefined, turn))) return null;
  return { lines: data.lines + data.garbled, live: index.size, garbled: data.garbled, tornTail: false, ms: performance.now() - started, sidecar: true };
}

/** Opens (creating if needed) a journal and loads it; compacts it when it is mostly superseded. */
export async function openJournal<T, B = undefined, S extends BriefStore<B> = BriefStore<B>>(opts: JournalOptions<T, B, S>): Promise<Journal<T, B, S>> {
  const started = performance.now();
  await makePrivateDir(path.dirname(opts.path));
  const handle = await openForAppend(opts.path);
  const index = new JournalIndex<T, B, S>(opts, opts.briefStore);
  const restored = opts.sidecar ? await restoreFromSidecar(handle, index, opts.sidecar, started, opts.turn) : null;
  const stats = restored ?? (await firstLoadStats(handle, await index.load(handle), index.size, started));
  const journal = new FileJournal(opts, stats, index, handle);
  await journal.noteInode();
  if (journal.needsCompaction()) await journal.compact();
  // Written after the first pages are asked for (it waits its turn in the journal's chain).
  else if (!restored && opts.sidecar) void journal.saveSidecar();
  journal.startSyncTimer(opts.syncIntervalMs ?? 1000);
  return journal;
}
