import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppFailure } from '../../app/errors';
import { defaultBmpBudget, type BmpBudget, type RawImage } from './bmp';
import { createLimiter } from './limit';

// BMP decoding off main's event loop: decodes run in a worker thread, one at a time (a decode may
// take ~100 MB), within a pixel and byte budget. A crafted 100,000,000×1 BMP
// then costs a refusal, not seconds of a frozen window.
//
// The worker's code: the build bundles main/services/bmp-worker.ts as dist/main/bmp-worker.mjs
// (beside dist/main/index.mjs; the CLI at dist/cli.mjs finds it under main/). Run from source
// (tests, the browser host through tsx) there is no bundle: the worker loads the .ts through tsx.

/** Larger files are refused unread by the worker: no plain BMP within the budget is this big. */
const maxInputBytes = 256 * 1024 * 1024;
const limit = createLimiter(1);

export interface DecodedBmp extends RawImage {
  /** The worker thread that decoded it (never main's thread 0). */
  threadId: number;
}

function startWorker(): Worker {
  const options = { resourceLimits: { maxOldGenerationSizeMb: 256 } };
  for (const candidate of ['./bmp-worker.mjs', './main/bmp-worker.mjs']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(url)) return new Worker(url, options);
  }
  // tsx's ESM API (its CommonJS twin cannot register hooks from an eval'd worker).
  const tsx = new URL('./dist/esm/api/index.mjs', pathToFileURL(createRequire(import.meta.url).resolve('tsx/package.json'))).href;
  const entry = new URL('./bmp-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
  return new Worker(boot, { ...options, eval: true });
}

type Answer = { id: number; ok: true; width: number; height: number; channels: 3 | 4; data: Uint8Array; threadId: number } | { id: number; ok: false; message: string };
interface Pending {
  resolve: (raw: DecodedBmp) => void;
  reject: (error: AppFailure) => void;
}

// One worker, kept while BMPs keep coming and ended after a quiet spell; it never holds the
// process open. A worker that dies (out of memory) fails its decode and is replaced on the next.
const idleMs = 20_000;
let worker: Worker | null = null;
let idleTimer: NodeJS.Timeout | null = null;
let nextId = 0;
const pending = new Map<number, Pending>();

function failAll(message: string): void {
  for (const p of pending.values()) p.reject(new AppFailure('bad_image', `This BMP file cannot be shown: ${message}`));
  pending.clear();
}

function theWorker(): Worker {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  if (worker) return worker;
  const w = startWorker();
  w.unref();
  w.on('message', (answer: Answer) => {
    const p = pending.get(answer.id);
    pending.delete(answer.id);
    if (!p) return;
    if (!answer.ok) p.reject(new AppFailure('bad_image', answer.message));
    else p.resolve({ width: answer.width, height: answer.height, channels: answer.channels, data: Buffer.from(answer.data.buffer, answer.data.byteOffset, answer.data.byteLength), threadId: answer.threadId });
    if (pending.size === 0) {
      idleTimer = setTimeout(() => {
        if (worker === w && pending.size === 0) worker = null;
        void w.terminate();
      }, idleMs);
      idleTimer.unref();
    }
  });
  w.on('error', (error) => {
    if (worker === w) worker = null;
    failAll(error.message);
  });
  w.on('exit', () => {
    if (worker === w) worker = null;
    failAll('its decoder stopped.');
  });
  worker = w;
  return w;
}

/** Decodes a BMP in a worker thread; AppFailure('bad_image') with the reason when it cannot. */
export function decodeBmpOffThread(bytes: Buffer, budget: BmpBudget = defaultBmpBudget): Promise<DecodedBmp> {
  if (bytes.length > maxInputBytes) return Promise.reject(new AppFailure('bad_image', 'This BMP file cannot be shown: it is too large.'));
  return limit(
    () =>
      new Promise<DecodedBmp>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        theWorker().postMessage({ id, bytes, budget });
      }),
  );
}
