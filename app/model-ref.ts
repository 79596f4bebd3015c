import type { AppError } from './errors';

// Which model answered, and on which engine: the identity results are kept under. A Roboflow
// model reached over its inference API is known by endpoint + project/version; a model downloaded
// and run on this computer by project/version + the SHA-256 of its weights (a re-trained version
// pulled again is a different model, and its results must not mix with the old ones).

export type ModelRef =
  | { engine: 'roboflow-api'; endpoint: string; model: string }
  | { engine: 'on-device'; model: string; sha256: string };

export type Engine = ModelRef['engine'];
export const engines = ['roboflow-api', 'on-device'] as const satisfies readonly Engine[];

export const onDevicePrefix = 'on-device:';

/** The endpoint string results are keyed by. For the device it cannot be an http(s) base URL, so
 *  device results never mix with an API's, and one pull's results never with another's. */
export function resultsEndpoint(ref: ModelRef): string {
  return ref.engine === 'on-device' ? `${onDevicePrefix}${ref.sha256.slice(0, 16)}` : ref.endpoint;
}

/** A model as reached over Roboflow's inference API. */
export const apiRef = (endpoint: string, model: string): ModelRef => ({ engine: 'roboflow-api', endpoint, model });

/** Which model a request means: the settings' model and engine unless it names others (a comparison). */
export interface ModelSelection {
  model?: string;
  engine?: Engine;
}

/** How results name where they came from (exports' `endpoint`, the status bar). */
export function describeRef(ref: ModelRef): string {
  return ref.engine === 'on-device' ? `${ref.model} on this computer` : `${ref.model} at ${ref.endpoint}`;
}


/** A model downloaded for use on this computer, as Settings lists it. */
export interface DownloadedModel {
  model: string;
  classes: string[];
  /** Bytes of the weights. */
  size: number;
  fetchedAt: string;
  multiLabel: boolean;
  sha256: string;
}

/** How far a download for use on this computer got (`modelDownload` events). */
export interface ModelDownloadProgress {
  model: string;
  phase: 'metadata' | 'environment' | 'weights' | 'verifying' | 'done' | 'failed' | 'cancelled';
  received: number;
  total: number | null;
  error?: AppError;
}
