import type { AppError } from '../../app/errors';
import type { ModelRef } from '../../app/model-ref';
import type { SentInfo } from '../../app/types';

// The seam between the job queue (inference.ts) and the Roboflow client (roboflow.ts): one attempt
// at classifying one image. Retries, backoff and concurrency belong to the queue; preparing the
// image (decode, downscale, re-encode, the 413 downscale-and-resend) belongs to the client.

export type ClassifyInput =
  | { kind: 'file'; path: string }
  | { kind: 'url'; url: string };

export type ClassifyOutcome =
  | { ok: true; response: Record<string, unknown>; sent?: SentInfo; status: number }
  | {
      ok: false;
      error: AppError;
      /** Worth another attempt (429, 5xx, dropped connection, timeout, non-JSON 200). */
      retryable: boolean;
      /** From a Retry-After header, in milliseconds. */
      retryAfterMs?: number;
      status?: number;
      sent?: SentInfo;
    };

/** What one engine is asked to run: the model (engine included) and, for the API, the key. */
export interface ClassifyTarget {
  ref: ModelRef;
  /** '' for an engine that needs none (on this computer). */
  apiKey: string;
}

/** One attempt at one image through one engine; `T` is what that engine needs to know. */
export interface EngineClassifier<T> {
  /**
   * `gate` is awaited right before each request goes on the wire: preparing an image takes time,
   * and a 429's Retry-After that arrives meanwhile must still hold this request back.
   */
  classify(input: ClassifyInput, target: T, signal?: AbortSignal, gate?: () => Promise<void>): Promise<ClassifyOutcome>;
}

/** The seam the queue calls: any engine, chosen by `target.ref.engine` (engine-classifier.ts). */
export type Classifier = EngineClassifier<ClassifyTarget>;

/** What the Roboflow inference client needs. */
export interface ApiTarget {
  /** Base URL, e.g. https://serverless.roboflow.com or http://127.0.0.1:9001. */
  baseUrl: string;
  /** project/version */
  model: string;
  apiKey: string;
}
