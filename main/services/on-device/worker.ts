import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { AppFailure, type AppError } from '../../../app/errors';
import { readImageFile } from '../prepare-image';
import { targetSize } from './environment';
import { preprocess, type Preprocessed } from './preprocess';
import { respond } from './respond';
import type { InitMessage, ItemResult, RunRequest, WorkerInit, WorkerReply } from './worker-protocol';

// An inference worker: owns one ONNX Runtime session, whose run() blocks this thread (never main's),
// and does the decode and preprocessing next to it. Bundled as its own entry
// (dist/main/on-device-worker.mjs); from source it runs under tsx. The same file runs as a worker
// thread (plain Node: CLI, host, tests) or as an Electron utilityProcess (utility-spawn.ts).

// The pool runs one worker per core already: one libvips thread each keeps them from crowding main.
sharp.concurrency(1);

/** Where requests come from and replies go: the worker thread's port, or, in an Electron
 *  utilityProcess, `process.parentPort` (messages arrive wrapped as `{data}`; the first is `init`). */
interface Channel {
  post(reply: WorkerReply): void;
  onMessage(listener: (message: unknown) => void): void;
}

interface UtilityParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

function connect(): { channel: Channel; init: Promise<WorkerInit> } {
  if (parentPort) {
    const port = parentPort;
    return { channel: { post: (reply) => port.postMessage(reply), onMessage: (listener) => port.on('message', listener) }, init: Promise.resolve(workerData as WorkerInit) };
  }
  const utility = (process as { parentPort?: UtilityParentPort }).parentPort;
  if (!utility) throw new Error('the inference worker must run in a worker thread or a utility process');
  const listeners: Array<(message: unknown) => void> = [];
  let resolveInit!: (init: WorkerInit) => void;
  const init = new Promise<WorkerInit>((resolve) => (resolveInit = resolve));
  utility.on('message', ({ data }) => {
    const message = data as InitMessage | RunRequest;
    if (message.type === 'init') resolveInit(message.init);
    else for (const listener of listeners) listener(message);
  });
  return { channel: { post: (reply) => utility.postMessage(reply), onMessage: (listener) => void listeners.push(listener) }, init };
}

const { channel, init: initialised } = connect();
const post = (reply: WorkerReply) => channel.post(reply);

const toError = (err: unknown): AppError =>
  err instanceof AppFailure ? err.toJSON() : { code: 'internal', message: `On-device inference failed: ${(err as Error)?.message ?? String(err)}` };

async function start() {
  const init = await initialised;
  // Loaded here, not at the top: a missing native binary must become a message, not a dead worker.
  const mod: typeof import('onnxruntime-node') & { default?: typeof import('onnxruntime-node') } = await import('onnxruntime-node');
  const ort = mod.default ?? mod;
  const session = await ort.InferenceSession.create(init.weightsPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: init.threads,
    interOpNumThreads: 1,
  });
  const meta = session.inputMetadata[0];
  const shape = meta && meta.isTensor ? meta.shape : [];
  if (shape.length !== 4 || (typeof shape[1] === 'number' && shape[1] !== 3)) {
    throw new AppFailure('invalid_input', `This model takes input of shape [${shape.join(', ')}], not an image [N, 3, H, W]: it is not a classification model the app can run.`);
  }
  const input = targetSize(shape, init.environment.preprocess.resize);
  const dynamicBatch = typeof shape[0] !== 'number';
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  const perImage = 3 * input.width * input.height;
  const classes = init.environment.classes.length;

  async function run(request: RunRequest): Promise<WorkerReply> {
    const startedAt = performance.now();
    const prepared: Array<Preprocessed | AppError> = await Promise.all(
      request.items.map(async (item) => {
        try {
          const bytes = item.kind === 'file' ? await readImageFile(item.path) : Buffer.from(item.bytes.buffer, item.bytes.byteOffset, item.bytes.byteLength);
          return await preprocess(bytes, init.environment.preprocess, input, init.norm);
        } catch (err) {
          return toError(err);
        }
      }),
    );
    const prepareMs = performance.now() - startedAt;
    const ready = prepared.flatMap((p, i) => ('data' in p ? [i] : []));
    const scores = new Map<number, Float32Array>();
    let runs = 0;
    let runError: AppError | null = null;
    const runStarted = performance.now();
    // One run() for the whole batch when the batch dimension is dynamic, else one per image.
    const groups = dynamicBatch ? (ready.length ? [ready] : []) : ready.map((i) => [i]);
    for (const group of groups) {
      const batch = new Float32Array(group.length * perImage);
      group.forEach((i, k) => batch.set((prepared[i] as Preprocessed).data, k * perImage));
      try {
        const out = await session.run({ [inputName]: new ort.Tensor('float32', batch, [group.length, 3, input.height, input.width]) });
        const data = out[outputName].data as Float32Array;
        if (data.length !== group.length * classes) {
          throw new AppFailure('invalid_input', `The model gave ${data.length / group.length} scores per image for ${classes} classes: it does not match its class list.`);
        }
        group.forEach((i, k) => scores.set(i, data.slice(k * classes, (k + 1) * classes)));
        runs++;
      } catch (err) {
        runError = toError(err);
      }
    }
    const runMs = performance.now() - runStarted;
    const share = (prepareMs + runMs) / 1000 / Math.max(1, request.items.length);
    const results = prepared.map((p, i): ItemResult => {
      if (!('data' in p)) return { ok: false, error: p };
      const outputs = scores.get(i);
      if (!outputs) return { ok: false, error: runError ?? { code: 'internal', message: 'The model gave no answer for this image.' } };
      const env = init.environment;
      return { ok: true, response: respond({ outputs, classes: env.classes, multiLabel: env.multiLabel, confidence: request.confidence, image: p.image, time: share }) };
    });
    return { type: 'done', id: request.id, results, prepareMs, runMs, runs };
  }

  // One request at a time: the pool never sends a second before the first is done.
  channel.onMessage((message) => {
    const request = message as RunRequest;
    run(request).then(post, (err: unknown) => post({ type: 'done', id: request.id, results: request.items.map(() => ({ ok: false, error: toError(err) })), prepareMs: 0, runMs: 0, runs: 0 }));
  });
  post({ type: 'ready', input, dynamicBatch });
}

start().catch((err: unknown) => {
  const error = err instanceof AppFailure ? err.toJSON() : { code: 'internal' as const, message: `its weights do not load (${(err as Error)?.message ?? String(err)}); download the model again.` };
  post({ type: 'failed', error });
});
