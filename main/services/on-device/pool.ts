import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AppError } from '../../../app/errors';
import type { ItemResult, RunRequest, WorkerInit, WorkerItem, WorkerReply } from './worker-protocol';

// A small pool of inference workers for one model. Images queue here; an idle worker takes as many
// as its batch allows (a dynamic batch dimension takes up to maxBatch at once, so a busy pool
// batches by itself, with no timer). Main's event loop only moves messages.
//
// The seam `spawn` builds one worker host. The default is a worker_threads Worker; Electron can
// pass one over a utilityProcess (a process per worker) instead, with the same messages.

export interface WorkerHost {
  postMessage(message: RunRequest): void;
  onMessage(listener: (reply: WorkerReply) => void): void;
  /** Called once when the host dies on its own (crash, exit). */
  onExit(listener: (why: string) => void): void;
  terminate(): Promise<void>;
}

export type SpawnWorker = (init: WorkerInit) => WorkerHost;

/** The worker's entry: the bundled file next to the bundle (dist/main/index.mjs and dist/cli.mjs
 *  both find dist/main/on-device-worker.mjs), or, from source (tests, tsx), the TypeScript file
 *  loaded through tsx's API (a worker does not inherit the parent's loader). */
export function workerEntry(here = import.meta.url): { script: URL | string; eval: boolean } {
  if (/\.[cm]?ts$/.test(new URL(here).pathname)) {
    const tsx = pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
    const source = new URL('./worker.ts', here).href;
    return { script: `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(source)}, ${JSON.stringify(here)}));`, eval: true };
  }
  for (const candidate of ['./on-device-worker.mjs', './main/on-device-worker.mjs']) {
    const url = new URL(candidate, here);
    if (existsSync(fileURLToPath(url))) return { script: url, eval: false };
  }
  throw new Error('The on-device inference worker is missing from this build (on-device-worker.mjs).');
}

/** The worker's file for a process of its own: the bundled .mjs, or from source worker.ts (the
 *  process must then load TypeScript, as a test's stand-in does with tsx). */
export function workerFile(here = import.meta.url): string {
  if (/\.[cm]?ts$/.test(new URL(here).pathname)) return fileURLToPath(new URL('./worker.ts', here));
  const entry = workerEntry(here);
  return fileURLToPath(entry.script as URL);
}

export const spawnThread: SpawnWorker = (init) => {
  const entry = workerEntry();
  const worker = new Worker(entry.script, { workerData: init, eval: entry.eval });
  let exited = false;
  return {
    postMessage: (message) => worker.postMessage(message),
    onMessage: (listener) => worker.on('message', listener),
    onExit: (listener) => {
      const once = (why: string) => {
        if (exited) return;
        exited = true;
        listener(why);
      };
      worker.on('error', (err) => once(err.message));
      worker.on('exit', (code) => once(`exit code ${code}`));
    },
    terminate: async () => {
      exited = true;
      await worker.terminate();
    },
  };
};

/** The default pool size: one core left for the window and the rest, at least one worker. */
export function defaultPoolSize(cores = os.availableParallelism()): number {
  return Math.max(1, cores - 1);
}

export interface PoolTimings {
  images: number;
  runs: number;
  prepareMs: number;
  runMs: number;
}

export interface InferencePool {
  classify(item: WorkerItem, confidence: number, signal?: AbortSignal): Promise<ItemResult>;
  /** Resolves once every worker has loaded the model (or rejects with why it could not). */
  ready(): Promise<{ input: { width: number; height: number }; dynamicBatch: boolean }>;
  timings(): PoolTimings;
  close(): Promise<void>;
}

export interface PoolOptions {
  init: Omit<WorkerInit, 'threads'>;
  size: number;
  /** Most images per run() when the model's batch dimension is dynamic. */
  maxBatch?: number;
  spawn?: SpawnWorker;
}

interface Pending {
  item: WorkerItem;
  confidence: number;
  resolve: (result: ItemResult) => void;
  signal?: AbortSignal;
}

interface Slot {
  host: WorkerHost;
  state: 'loading' | 'idle' | 'busy' | 'dead';
  batch: Pending[];
}

const cancelledError: AppError = { code: 'cancelled', message: 'The request was cancelled.' };
const cancelled: ItemResult = { ok: false, error: cancelledError };

export function createInferencePool(opts: PoolOptions): InferencePool {
  const spawn = opts.spawn ?? spawnThread;
  const size = Math.max(1, Math.floor(opts.size));
  const maxBatch = Math.max(1, opts.maxBatch ?? 8);
  // Each session's own threads share the cores with the other workers instead of each taking all,
  // and one core stays with main (the window's event loop).
  const threads = Math.max(1, Math.floor((os.availableParallelism() - 1) / size));
  const queue: Pending[] = [];
  const slots: Slot[] = [];
  const totals: PoolTimings = { images: 0, runs: 0, prepareMs: 0, runMs: 0 };
  let nextId = 1;
  let closed = false;
  let loadError: AppError | null = null;
  let shape: { input: { width: number; height: number }; dynamicBatch: boolean } | null = null;
  let readyWaiters: Array<{ resolve: (s: NonNullable<typeof shape>) => void; reject: (e: AppError) => void }> = [];

  const settleReady = () => {
    if (!shape && !loadError) return;
    for (const w of readyWaiters) {
      if (shape) w.resolve(shape);
      else w.reject(loadError!);
    }
    readyWaiters = [];
  };

  const failAll = (error: AppError) => {
    for (const p of queue.splice(0)) p.resolve({ ok: false, error });
  };

  function startSlot(): Slot {
    const slot: Slot = { host: spawn({ ...opts.init, threads }), state: 'loading', batch: [] };
    slot.host.onMessage((reply) => {
      if (reply.type === 'ready') {
        shape = { input: reply.input, dynamicBatch: reply.dynamicBatch };
        slot.state = 'idle';
        settleReady();
      } else if (reply.type === 'failed') {
        // The model cannot load: every worker would fail the same way.
        loadError = reply.error;
        slot.state = 'dead';
        void slot.host.terminate();
        settleReady();
        failAll(reply.error);
      } else {
        totals.images += slot.batch.length;
        totals.runs += reply.runs;
        totals.prepareMs += reply.prepareMs;
        totals.runMs += reply.runMs;
        const batch = slot.batch;
        slot.batch = [];
        slot.state = 'idle';
        batch.forEach((p, i) => p.resolve(reply.results[i] ?? { ok: false, error: { code: 'internal', message: 'The worker gave no answer.' } }));
      }
      pump();
    });
    slot.host.onExit((why) => {
      const error: AppError = { code: 'internal', message: `The on-device inference worker stopped (${why}); the image will be tried again.` };
      for (const p of slot.batch) p.resolve({ ok: false, error });
      slot.batch = [];
      slot.state = 'dead';
      if (!closed && !loadError && !shape) {
        loadError = { code: 'internal', message: `The on-device engine could not start (${why}).` };
        settleReady();
        failAll(loadError);
      }
      pump();
    });
    return slot;
  }

  function pump(): void {
    if (closed) return;
    if (loadError) return failAll(loadError);
    // A worker that died is replaced when there is work for it.
    for (let i = 0; i < slots.length; i++) if (slots[i].state === 'dead' && queue.length) slots[i] = startSlot();
    while (slots.length < size && queue.length) slots.push(startSlot());
    for (const slot of slots) {
      if (slot.state !== 'idle') continue;
      const take = shape?.dynamicBatch ? maxBatch : 1;
      const batch: Pending[] = [];
      // One run() answers at one confidence.
      while (batch.length < take && queue.length && (!batch.length || queue[0].confidence === batch[0].confidence)) {
        const p = queue.shift()!;
        if (p.signal?.aborted) p.resolve(cancelled);
        else batch.push(p);
      }
      if (!batch.length) break;
      slot.batch = batch;
      slot.state = 'busy';
      slot.host.postMessage({ type: 'run', id: nextId++, items: batch.map((p) => p.item), confidence: batch[0].confidence });
    }
  }

  return {
    classify(item, confidence, signal) {
      if (signal?.aborted) return Promise.resolve(cancelled);
      if (loadError) return Promise.resolve({ ok: false, error: loadError });
      return new Promise<ItemResult>((resolve) => {
        let done = false;
        const finish = (r: ItemResult) => {
          if (done) return;
          done = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        };
        // A cancelled image answers at once; a run already under way finishes and is dropped.
        const onAbort = () => finish(cancelled);
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push({ item, confidence, resolve: finish, signal });
        pump();
      });
    },
    ready() {
      if (!slots.length) slots.push(startSlot());
      return new Promise((resolve, reject) => {
        readyWaiters.push({ resolve, reject });
        settleReady();
      });
    },
    timings: () => ({ ...totals }),
    async close() {
      closed = true;
      failAll(cancelledError);
      await Promise.all(slots.map((s) => s.host.terminate().catch(() => {})));
    },
  };
}
