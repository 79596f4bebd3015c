import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextTurn } from '../../../main/services/next-turn';
import { noFile, readFileStats, regularFile, statWorkerSource, type FileStats } from '../../../main/services/stat-thread';

// The pass that reads each listed file's size and mtime after a scan (and re-checks a cached
// listing), on real files: a worker thread reads them, in order, and what cannot be read says so.

let root: string;
const ids: string[] = [];
const count = 5_000; // more than one of the worker's slices

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'cd-stat-thread-'));
  for (let d = 0; d < 5; d++) await mkdir(path.join(root, `d${d}`));
  for (let i = 0; i < count; i++) {
    const id = `d${i % 5}/img ${i}.jpg`;
    ids.push(id);
    await writeFile(path.join(root, id), Buffer.alloc(i % 97));
  }
  // One file gone since it was listed, one a folder now, one with an older date.
  await rm(path.join(root, ids[17]));
  await rm(path.join(root, ids[4_500]));
  await mkdir(path.join(root, ids[4_500]));
  await utimes(path.join(root, ids[40]), new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function pass(opts: { worker?: string | null; abortAfter?: number } = {}) {
  const sizes = new Float64Array(count).fill(-1);
  const mtimes = new Float64Array(count).fill(-1);
  const kinds = new Uint8Array(count).fill(9);
  const slices: Array<{ from: number; n: number; threadId: number }> = [];
  const abort = new AbortController();
  await readFileStats({
    root,
    count,
    idAt: (k) => ids[k],
    turn: nextTurn,
    signal: abort.signal,
    worker: opts.worker,
    apply(from: number, stats: FileStats) {
      slices.push({ from, n: stats.kinds.length, threadId: stats.threadId });
      sizes.set(stats.sizes, from);
      mtimes.set(stats.mtimes, from);
      kinds.set(stats.kinds, from);
      if (opts.abortAfter !== undefined && slices.length >= opts.abortAfter) abort.abort();
    },
  });
  return { sizes, mtimes, kinds, slices };
}

/** The slices applied in order, each path once, every path. */
function expectInOrder(slices: Array<{ from: number; n: number }>): void {
  let next = 0;
  for (const s of slices) {
    expect(s.from).toBe(next);
    next += s.n;
  }
  expect(next).toBe(count);
}

describe('readFileStats', () => {
  it('reads every file on a worker thread, in order, and tells gone and odd paths apart', async () => {
    const { sizes, mtimes, kinds, slices } = await pass();
    expect(slices.every((s) => s.threadId !== threadId)).toBe(true);
    expectInOrder(slices);
    for (const k of [0, 1, 96, 2_345, 4_999]) {
      const st = await stat(path.join(root, ids[k]));
      expect([kinds[k], sizes[k], mtimes[k]]).toEqual([regularFile, st.size, st.mtimeMs]);
    }
    expect(kinds[17]).toBe(noFile);
    expect(kinds[4_500]).not.toBe(regularFile);
    expect(kinds[4_500]).not.toBe(noFile);
    expect(mtimes[40]).toBe(Date.parse('2020-01-02T03:04:05Z'));
  });

  it('reads the same on main when no worker is used', async () => {
    const onWorker = await pass();
    const onMain = await pass({ worker: null });
    expect(onMain.slices.every((s) => s.threadId === threadId)).toBe(true);
    expect(onMain.kinds).toEqual(onWorker.kinds);
    expect(onMain.sizes).toEqual(onWorker.sizes);
    expect(onMain.mtimes).toEqual(onWorker.mtimes);
  });

  it('reads on main what a worker that died left, each path once, in order', async () => {
    // A worker that answers its first slice, then dies of an exception on the second (whether main
    // hears of the answer or of the death first, the second slice is main's to read).
    const start = "parentPort.on('message', ({ prefix, ids, from }) => {";
    expect(statWorkerSource).toContain(start);
    const dying = statWorkerSource.replace(start, `let seen = 0;\n${start}\n  if (++seen === 2) throw new Error('died');`);
    const onWorker = await pass();
    const after = await pass({ worker: dying });
    expect(after.slices.at(-1)!.threadId).toBe(threadId);
    expectInOrder(after.slices);
    expect(after.kinds).toEqual(onWorker.kinds);
    expect(after.sizes).toEqual(onWorker.sizes);
    expect(after.mtimes).toEqual(onWorker.mtimes);
    // A worker that cannot start at all: main reads everything.
    const none = await pass({ worker: 'syntax error here (' });
    expect(none.slices.every((s) => s.threadId === threadId)).toBe(true);
    expect(none.kinds).toEqual(onWorker.kinds);
  });

  it('stops taking slices once the pass is cancelled', async () => {
    for (const worker of [undefined, null]) {
      const { slices, kinds } = await pass({ worker, abortAfter: 1 });
      expect(slices).toHaveLength(1);
      expect(kinds.subarray(slices[0].n).every((k) => k === 9)).toBe(true);
    }
  });
});

describe('readFileStats on a small folder', () => {
  it('reads a few files on main, with no thread started for them', async () => {
    const few = ids.slice(0, 50);
    const slices: number[] = [];
    const kinds = new Uint8Array(few.length);
    await readFileStats({
      root,
      count: few.length,
      idAt: (k) => few[k],
      turn: nextTurn,
      signal: new AbortController().signal,
      apply(from, stats) {
        slices.push(stats.threadId);
        kinds.set(stats.kinds, from);
      },
    });
    expect(slices.every((id) => id === threadId)).toBe(true);
    expect([...kinds].filter((k) => k === regularFile)).toHaveLength(49); // ids[17] is gone
  });
});
