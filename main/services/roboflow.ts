import { stat } from 'node:fs/promises';
import { AppFailure, appError, type AppError } from '../../app/errors';
import { parseResponse } from '../../app/roboflow';
import { modelIdPattern, type AuthMode } from '../../app/settings';
import type { SentInfo } from '../../app/types';
import type { ApiTarget, ClassifyInput, ClassifyOutcome, EngineClassifier } from './classifier';
import { badResponse, statusFailure, thrownFailure, type FailureContext, type HttpFailure } from './http-errors';
import { downscaleFurther, prepareImage, readImageFile, type PreparedImage } from './prepare-image';
import { redactKnownSecrets, redactSecrets } from './redact';

// One attempt at classifying one image against a Roboflow endpoint (roboflow-protocol.md):
// `POST {base}/{project}/{version}?confidence=0.01` with the base64 text of the prepared image as a
// form-urlencoded body (or `?image=<url>` for hosted images), the key as a bearer header and/or
// `api_key` per the auth mode. Retries belong to the queue; the only resend here is the 413
// downscale. Keep-alive: Node's fetch (undici) pools connections per origin and reuses them as long
// as each body is read to the end, which every path below does (test: the peer counts connections).

export interface RoboflowClientOptions {
  fetch?: typeof fetch;
  timeoutMs: number;
  authMode: AuthMode;
  /** Sent as `confidence`; 0.01 so every class score comes back and thresholds apply locally. */
  confidence?: number;
  maxUploadSize: number;
  /** Request body limit in bytes (base64 included); Infinity when the endpoint has none. */
  requestLimit: number;
  /** Runs the reading and preparing of files over `largeFileBytes`, one at a time when it is a
   *  shared limiter of 1: a folder of huge files then holds one of them in memory, not one per
   *  request in flight. */
  largeFiles?: <T>(task: () => Promise<T>) => Promise<T>;
}

/** Files above this size are read and prepared through `largeFiles`. */
export const largeFileBytes = 32 * 1024 * 1024;

/** How many times a 413 leads to a smaller resend before the image fails as too_large. */
const maxResends = 2;

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** Checks a target before any request: the model id, the base URL and the key. */
export function validateTarget(target: ApiTarget): AppError | null {
  const secrets = [target.apiKey];
  if (!target.apiKey) return appError('no_key', 'No API key is set. Add your Roboflow API key in Settings.');
  if (!modelIdPattern.test(target.model)) {
    return appError(
      'model_not_found',
      redactSecrets(`"${target.model}" is not a model id. Enter it in Settings as project/version, for example cats-vs-dogs/3.`, secrets),
    );
  }
  const base = parseUrl(target.baseUrl);
  if (!base || (base.protocol !== 'http:' && base.protocol !== 'https:')) {
    return appError('invalid_input', redactSecrets(`The endpoint URL "${target.baseUrl}" is not an http(s) URL. Fix it in Settings.`, secrets));
  }
  if (base.search || base.hash) {
    return appError('invalid_input', redactSecrets(`The endpoint URL "${target.baseUrl}" must not carry a query or fragment. Enter only the base, e.g. https://serverless.roboflow.com.`, secrets));
  }
  return null;
}

function fromFailure(f: HttpFailure, sent?: SentInfo): ClassifyOutcome {
  return { ok: false, ...f, ...(sent ? { sent } : {}) };
}

/** A Classifier speaking Roboflow's inference route. */
export function createRoboflowClient(opts: RoboflowClientOptions): EngineClassifier<ApiTarget> {
  const doFetch = opts.fetch ?? fetch;
  const confidence = opts.confidence ?? 0.01;
  const useQuery = opts.authMode !== 'bearer';
  const useBearer = opts.authMode !== 'query';

  async function send(
    body: string | null,
    imageUrl: string | null,
    target: ApiTarget,
    ctx: FailureContext,
    signal?: AbortSignal,
    gate?: () => Promise<void>,
  ): Promise<ClassifyOutcome> {
    await gate?.();
    if (signal?.aborted) return fromFailure(thrownFailure(null, { cancelled: true, timedOut: false, timeoutMs: 0 }, ctx));
    const [project, version] = target.model.split('/');
    const url = new URL(`${target.baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(project)}/${version}`);
    url.searchParams.set('confidence', String(confidence));
    if (useQuery) url.searchParams.set('api_key', target.apiKey);
    if (imageUrl !== null) url.searchParams.set('image', imageUrl);
    const headers: Record<string, string> = {};
    if (useBearer) headers.authorization = `Bearer ${target.apiKey}`;
    if (body !== null) headers['content-type'] = 'application/x-www-form-urlencoded';

    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const res = await doFetch(url, { method: 'POST', headers, body, signal: combined });
      const text = await res.text();
      if (res.status !== 200) return fromFailure(statusFailure(res.status, text, res.headers.get('retry-after'), ctx));
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        const type = res.headers.get('content-type')?.split(';')[0] ?? 'no content type';
        return fromFailure(badResponse(`not JSON, ${type}`, ctx));
      }
      const parsed = parseResponse(json);
      if (!parsed.ok) return fromFailure(badResponse(parsed.reason, ctx));
      // Kept verbatim, but for the key: a server that echoes it must not get it stored.
      return { ok: true, response: redactKnownSecrets(parsed.value.raw, [target.apiKey]), status: 200 };
    } catch (err) {
      const how = { cancelled: signal?.aborted ?? false, timedOut: timeout.aborted, timeoutMs: opts.timeoutMs };
      return fromFailure(thrownFailure(err, how, ctx));
    }
  }

  /** Reads and prepares a file; a large one waits its turn at `largeFiles`. */
  async function viaLargeFileGate(path: string, prepare: () => Promise<PreparedImage>): Promise<PreparedImage> {
    if (!opts.largeFiles) return prepare();
    const size = await stat(path).then((s) => s.size, () => 0);
    return size > largeFileBytes ? opts.largeFiles(prepare) : prepare();
  }

  async function classifyFile(
    path: string,
    target: ApiTarget,
    ctx: FailureContext,
    signal?: AbortSignal,
    gate?: () => Promise<void>,
  ): Promise<ClassifyOutcome> {
    const limits = { maxUploadSize: opts.maxUploadSize, requestLimit: opts.requestLimit };
    let prepared: PreparedImage;
    try {
      // The original bytes are not kept while the request waits on the network: per request in
      // flight only the prepared body (bounded by the request limit) stays in memory.
      prepared = await viaLargeFileGate(path, async () => prepareImage(await readImageFile(path), limits));
    } catch (err) {
      if (err instanceof AppFailure) return { ok: false, error: err.toJSON(), retryable: false };
      throw err;
    }
    // The first upload the server refused as too large (413), kept so the person learns why the
    // image went out smaller than asked.
    let refused: SentInfo['refused'];
    for (let resend = 0; ; resend++) {
      if (signal?.aborted) return fromFailure(thrownFailure(null, { cancelled: true, timedOut: false, timeoutMs: 0 }, ctx));
      const outcome = await send(prepared.body.toString('base64'), null, target, ctx, signal, gate);
      if (outcome.ok) return { ...outcome, sent: refused ? { ...prepared.sent, refused } : prepared.sent };
      if (outcome.status !== 413) return { ...outcome, sent: prepared.sent };
      if (resend >= maxResends) {
        const { width, height, bytes } = prepared.sent;
        const error = appError(
          'too_large',
          `The endpoint refused this image as too large even at ${width}x${height} (${Math.ceil(bytes / 1024)} KB). Lower "Max upload size" in Settings.`,
        );
        return { ok: false, error, retryable: false, status: 413, sent: prepared.sent };
      }
      refused ??= { width: prepared.sent.width, height: prepared.sent.height, bytes: prepared.sent.bytes };
      try {
        const sent = prepared.sent;
        prepared = await viaLargeFileGate(path, async () => downscaleFurther(await readImageFile(path), sent, limits));
      } catch (err) {
        if (err instanceof AppFailure) return { ok: false, error: err.toJSON(), retryable: false, status: 413, sent: prepared.sent };
        throw err;
      }
    }
  }

  return {
    async classify(input: ClassifyInput, target: ApiTarget, signal?: AbortSignal, gate?: () => Promise<void>): Promise<ClassifyOutcome> {
      const invalid = validateTarget(target);
      if (invalid) return { ok: false, error: invalid, retryable: false };
      const ctx: FailureContext = { baseUrl: redactSecrets(target.baseUrl, [target.apiKey]), model: target.model, secrets: [target.apiKey] };
      if (input.kind === 'file') return classifyFile(input.path, target, ctx, signal, gate);
      const imageUrl = parseUrl(input.url);
      if (!imageUrl || (imageUrl.protocol !== 'https:' && imageUrl.protocol !== 'http:')) {
        return { ok: false, error: appError('invalid_input', 'This is not a web address of an image. Paste an https:// URL.'), retryable: false };
      }
      return send(null, imageUrl.href, target, ctx, signal, gate);
    },
  };
}
