import { AppFailure, appError } from '../../../app/errors';
import { resultsEndpoint } from '../../../app/model-ref';
import type { ClassifyOutcome, EngineClassifier } from '../classifier';
import { onDeviceSupport } from './availability';
import { normalisationFor } from './environment';
import type { ModelStore, StoredModel } from './model-store';
import { createInferencePool, defaultPoolSize, type InferencePool, type PoolTimings, type SpawnWorker } from './pool';
import { confidenceFloor } from './respond';

// The on-device engine behind the same Classifier seam as the Roboflow client: the job queue,
// results journal, review, evaluation and exports cannot tell the two apart, except that results
// are kept under the device's own ModelRef (see app/model-ref.ts). The model is the downloaded copy
// of `target.model`; no key is used.

export interface OnDeviceClassifierOptions {
  store: Pick<ModelStore, 'get'>;
  /** Workers per model; read when a model's pool starts. Default cores - 1 (at least 1). */
  poolSize?: () => number;
  /** Sent as the API's `confidence` would be; 0.01 so every class score comes back, as for the API. */
  confidence?: number;
  maxBatch?: number;
  spawn?: SpawnWorker;
  platform?: string;
  arch?: string;
}

export interface OnDeviceClassifier extends EngineClassifier<{ model: string }> {
  /** The downloaded model with its results endpoint; fails with a clear error when it cannot run. */
  open(model: string): Promise<{ stored: StoredModel; endpoint: string }>;
  timings(model: string): PoolTimings | null;
  close(): Promise<void>;
}

export function notDownloaded(model: string): AppFailure {
  return new AppFailure(
    'model_not_found',
    `The model "${model}" is not downloaded for use on this computer. Download it first (Settings: "Download for offline use", or classify-desk models pull ${model}).`,
  );
}

export function createOnDeviceClassifier(opts: OnDeviceClassifierOptions): OnDeviceClassifier {
  const confidence = confidenceFloor(opts.confidence ?? 0.01);
  const pools = new Map<string, { sha256: string; pool: InferencePool; ready: Promise<unknown> }>();

  async function open(model: string) {
    const unsupported = onDeviceSupport(opts.platform, opts.arch);
    if (unsupported) throw new AppFailure(unsupported.code, unsupported.message);
    const stored = await opts.store.get(model);
    if (!stored) throw notDownloaded(model);
    return { stored, endpoint: resultsEndpoint({ engine: 'on-device', model, sha256: stored.info.sha256 }) };
  }

  async function poolFor(model: string): Promise<InferencePool> {
    const { stored } = await open(model);
    const current = pools.get(model);
    if (current && current.sha256 === stored.info.sha256) {
      await current.ready;
      return current.pool;
    }
    // A new pull replaced the weights: the old workers go.
    if (current) void current.pool.close();
    const pool = createInferencePool({
      init: { weightsPath: stored.weightsPath, environment: stored.environment, norm: normalisationFor(stored.info.modelType) },
      size: opts.poolSize?.() || defaultPoolSize(),
      maxBatch: opts.maxBatch,
      spawn: opts.spawn,
    });
    const ready = pool.ready().catch((error: { code?: string; message?: string }) => {
      pools.delete(model);
      void pool.close();
      // Systemic: every image would fail the same way, so the job stops with this message.
      throw new AppFailure('model_not_found', `The model "${model}" could not be loaded on this computer: ${error.message ?? String(error)}`);
    });
    pools.set(model, { sha256: stored.info.sha256, pool, ready });
    await ready;
    return pool;
  }

  return {
    open,
    async classify(input, target, signal, gate): Promise<ClassifyOutcome> {
      if (input.kind !== 'file') {
        return { ok: false, error: appError('invalid_input', 'Web images are classified through the Roboflow API; on this computer, classify image files.'), retryable: false };
      }
      if (signal?.aborted) return { ok: false, error: appError('cancelled', 'The request was cancelled.'), retryable: false };
      let pool: InferencePool;
      try {
        pool = await poolFor(target.model);
      } catch (err) {
        const error = err instanceof AppFailure ? err.toJSON() : appError('internal', String((err as Error)?.message ?? err));
        return { ok: false, error, retryable: false };
      }
      await gate?.();
      const result = await pool.classify({ kind: 'file', path: input.path }, confidence, signal);
      if (result.ok) return { ok: true, response: result.response, status: 200 };
      // A worker that died mid-image is replaced; the queue tries the image again.
      return { ok: false, error: result.error, retryable: result.error.code === 'internal' };
    },
    timings: (model) => pools.get(model)?.pool.timings() ?? null,
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.pool.close()));
    },
  };
}
