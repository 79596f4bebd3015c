import type { AppError } from '../../../app/errors';
import type { ModelEnvironment, Normalisation } from './environment';

// Messages between the inference pool (main's event loop) and an inference worker. Kept plain and
// structured-clone friendly, so the same protocol can run over worker_threads or an Electron
// utilityProcess port.

export interface WorkerInit {
  weightsPath: string;
  environment: ModelEnvironment;
  norm: Normalisation;
  /** ONNX Runtime's intra-op threads for this worker's session. */
  threads: number;
}

/** The first message to a worker in its own process (an Electron utilityProcess), which has no
 *  `workerData`; a worker thread gets the same `init` as its workerData instead. */
export interface InitMessage {
  type: 'init';
  init: WorkerInit;
}

export type WorkerItem = { kind: 'file'; path: string } | { kind: 'bytes'; bytes: Uint8Array };

export interface RunRequest {
  type: 'run';
  id: number;
  items: WorkerItem[];
  confidence: number;
}

export type ItemResult = { ok: true; response: Record<string, unknown> } | { ok: false; error: AppError };

export type WorkerReply =
  | { type: 'ready'; input: { width: number; height: number }; dynamicBatch: boolean }
  | { type: 'failed'; error: AppError }
  | {
      type: 'done';
      id: number;
      results: ItemResult[];
      /** Milliseconds: decode + preprocess of every item, and the run() calls. */
      prepareMs: number;
      runMs: number;
      runs: number;
    };
