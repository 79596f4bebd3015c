import { describe, expect, it } from 'vitest';
import { createInferencePool, type SpawnWorker, type WorkerHost } from '../../../../main/services/on-device/pool';
import type { RunRequest, WorkerReply } from '../../../../main/services/on-device/worker-protocol';

// The pool's own rules with stand-in workers (the real worker is covered by engine.test.ts): how it
// batches, what a crashed worker does to its images and to the next ones, and a model that cannot load.

interface Fake {
  host: WorkerHost;
  requests: RunRequest[];
  reply(r: WorkerReply): void;
  crash(): void;
}

function fakes(onSpawn: (fake: Fake, index: number) => void): { spawn: SpawnWorker; all: Fake[] } {
  const all: Fake[] = [];
  const spawn: SpawnWorker = () => {
    let onMessage: (r: WorkerReply) => void = () => {};
    let onExit: (why: string) => void = () => {};
    const fake: Fake = {
      requests: [],
      host: {
        postMessage: (m) => fake.requests.push(m),
        onMessage: (l) => (onMessage = l),
        onExit: (l) => (onExit = l),
        terminate: async () => {},
      },
      reply: (r) => onMessage(r),
      crash: () => onExit('exit code 134'),
    };
    all.push(fake);
    queueMicrotask(() => onSpawn(fake, all.length - 1));
    return fake.host;
  };
  return { spawn, all };
}

const init = { weightsPath: '/x.onnx', environment: { classes: ['a'], multiLabel: false, preprocess: { autoOrient: false, grayscale: false, staticCrop: null, contrast: null, resize: { mode: 'stretch' as const, pad: 0, width: null, height: null } } }, norm: { mean: [0.5, 0.5, 0.5] as [number, number, number], std: [0.5, 0.5, 0.5] as [number, number, number] } };
const file = (i: number) => ({ kind: 'file' as const, path: `/img${i}.jpg` });
const answer = (req: RunRequest): WorkerReply => ({ type: 'done', id: req.id, results: req.items.map((it) => ({ ok: true, response: { top: (it as { path: string }).path } })), prepareMs: 1, runMs: 1, runs: 1 });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('inference pool', () => {
  it('sends the images waiting behind a busy worker as one batch when the batch is dynamic', async () => {
    const { spawn, all } = fakes((f) => f.reply({ type: 'ready', input: { width: 8, height: 8 }, dynamicBatch: true }));
    const pool = createInferencePool({ init, size: 1, maxBatch: 4, spawn });
    await pool.ready();
    const pending = Array.from({ length: 6 }, (_, i) => pool.classify(file(i), 0.01));
    await tick();
    // The first image went alone to the idle worker; the next ones wait and go 4 + 1.
    expect(all[0].requests.map((r) => r.items.length)).toEqual([1]);
    all[0].reply(answer(all[0].requests[0]));
    await tick();
    expect(all[0].requests.map((r) => r.items.length)).toEqual([1, 4]);
    all[0].reply(answer(all[0].requests[1]));
    await tick();
    all[0].reply(answer(all[0].requests[2]));
    expect((await Promise.all(pending)).map((r) => (r.ok ? r.response.top : r.error.code))).toEqual(Array.from({ length: 6 }, (_, i) => `/img${i}.jpg`));
    expect(pool.timings()).toMatchObject({ images: 6, runs: 3 });
    await pool.close();
  });

  it('a worker that dies fails its images as internal (the queue retries them) and a new worker takes the next', async () => {
    const { spawn, all } = fakes((f) => f.reply({ type: 'ready', input: { width: 8, height: 8 }, dynamicBatch: false }));
    const pool = createInferencePool({ init, size: 1, spawn });
    await pool.ready();
    const first = pool.classify(file(1), 0.01);
    await tick();
    all[0].crash();
    expect(await first).toMatchObject({ ok: false, error: { code: 'internal' } });
    const second = pool.classify(file(2), 0.01);
    await tick();
    await tick();
    expect(all).toHaveLength(2);
    all[1].reply(answer(all[1].requests[0]));
    expect(await second).toMatchObject({ ok: true, response: { top: '/img2.jpg' } });
    await pool.close();
  });

  it('a model that cannot load fails every waiting image with the reason, and ready() rejects', async () => {
    const { spawn } = fakes((f) => f.reply({ type: 'failed', error: { code: 'invalid_input', message: 'not an image model' } }));
    const pool = createInferencePool({ init, size: 2, spawn });
    const pending = [pool.classify(file(1), 0.01), pool.classify(file(2), 0.01)];
    expect(await Promise.all(pending)).toEqual([
      { ok: false, error: { code: 'invalid_input', message: 'not an image model' } },
      { ok: false, error: { code: 'invalid_input', message: 'not an image model' } },
    ]);
    await expect(pool.ready()).rejects.toMatchObject({ message: 'not an image model' });
    await pool.close();
  });

  it('an image cancelled while it waits is answered cancelled and never sent', async () => {
    const { spawn, all } = fakes((f) => f.reply({ type: 'ready', input: { width: 8, height: 8 }, dynamicBatch: false }));
    const pool = createInferencePool({ init, size: 1, spawn });
    await pool.ready();
    const busy = pool.classify(file(1), 0.01);
    const controller = new AbortController();
    const waiting = pool.classify(file(2), 0.01, controller.signal);
    controller.abort();
    expect(await waiting).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    await tick();
    all[0].reply(answer(all[0].requests[0]));
    await busy;
    await tick();
    expect(all[0].requests).toHaveLength(1);
    await pool.close();
  });
});
