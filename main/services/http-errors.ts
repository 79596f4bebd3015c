import { appError, type AppError, type ErrorCode } from '../../app/errors';
import { errorBodyMessage } from '../../app/roboflow';
import { redactSecrets } from './redact';

// Maps what an HTTP exchange with a Roboflow endpoint produced (a status and body, or a thrown
// error) to an AppError per the protocol's error table and DESIGN.md §3, with a message that says
// what to do. Every message passes through redactSecrets with the key, so a server that echoes the
// key, or an exception that quotes the URL, cannot leak it.

export interface HttpFailure {
  error: AppError;
  retryable: boolean;
  retryAfterMs?: number;
  status?: number;
}

export interface FailureContext {
  baseUrl: string;
  model: string;
  /** Secrets to scrub from every message (the API key). */
  secrets: readonly string[];
}

const maxQuoted = 300;

/** Retry-After (delta seconds or an HTTP date) in milliseconds, or undefined when absent/invalid. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The server's own words, if its body had any, quoted for a message (already redacted). */
function serverSaid(body: string, secrets: readonly string[]): string {
  const message = errorBodyMessage(body);
  if (!message) return '';
  const text = redactSecrets(message, secrets).replace(/\s+/g, ' ').trim();
  return text ? ` The server said: "${text.length > maxQuoted ? `${text.slice(0, maxQuoted)}…` : text}"` : '';
}

function failure(code: ErrorCode, message: string, ctx: FailureContext, extra: Omit<HttpFailure, 'error'>): HttpFailure {
  return { error: appError(code, redactSecrets(message, ctx.secrets)), ...extra };
}

/** The failure for a non-200 answer. */
export function statusFailure(status: number, body: string, retryAfter: string | null, ctx: FailureContext): HttpFailure {
  const said = serverSaid(body, ctx.secrets);
  const retryAfterMs = parseRetryAfter(retryAfter);
  const stop = { retryable: false, status };
  const again = { retryable: true, status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  switch (status) {
    case 400:
      return failure('bad_image', `The server could not use this image (400).${said}`, ctx, stop);
    case 401:
      return failure('unauthorized', `The endpoint did not accept the API key (401). Check the key in Settings ("Check key"), or paste it again from your Roboflow workspace settings.${said}`, ctx, stop);
    case 402:
      return failure('payment_required', `Roboflow says this workspace is out of credits (402). Add credits or upgrade the plan in Roboflow, then run again.${said}`, ctx, stop);
    case 423:
      return failure('payment_required', `Roboflow has paused usage for this workspace (423). Check billing and usage in Roboflow, then run again.${said}`, ctx, stop);
    case 403:
      return failure(
        'quota_or_forbidden',
        `The endpoint refused the request (403). One of three things: the API key is invalid, the model "${ctx.model}" does not exist or this key may not use it, or the workspace's quota is used up. Check the key and the model in Settings, and your usage in Roboflow.${said}`,
        ctx,
        stop,
      );
    case 404:
      return failure('model_not_found', `The model "${ctx.model}" was not found at ${ctx.baseUrl} (404). Check the model id (project/version) in Settings and that this version has a trained model.${said}`, ctx, stop);
    case 413:
      return failure('too_large', `The endpoint refused the request as too large (413). Lower "Max upload size" in Settings.${said}`, ctx, stop);
    case 429:
      return failure('rate_limited', `Roboflow is limiting the request rate (429); the image will be retried more slowly.${said}`, ctx, again);
    case 507:
      return failure('model_too_big', `The server has no room to load this model (507). Use a server with more memory or a smaller model.${said}`, ctx, stop);
  }
  if (status >= 500) {
    return failure('server', `The endpoint had a problem (${status}); the image will be retried. If it keeps failing, try again later.${said}`, ctx, again);
  }
  if (status >= 400) {
    return failure('bad_request', `The endpoint refused the request (${status}). Check the endpoint URL and model in Settings.${said}`, ctx, stop);
  }
  return failure('bad_response', `The endpoint answered with an unexpected status (${status}). Check the endpoint URL in Settings.`, ctx, {
    retryable: true,
    status,
  });
}

/** The failure for a 200 whose body is not JSON of either response shape. */
export function badResponse(reason: string, ctx: FailureContext): HttpFailure {
  return failure('bad_response', `The endpoint's answer could not be read (${reason}); the image will be retried.`, ctx, { retryable: true, status: 200 });
}

/** The most specific reason in an error's cause chain: a system code (ECONNREFUSED), else the
 *  innermost message (undici wraps everything in "fetch failed"). */
export function innermostReason(err: unknown): string {
  let reason = err instanceof Error ? err.message : String(err);
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (e instanceof Error && e.message) reason = e.message;
    e = (e as { cause?: unknown }).cause;
  }
  return reason;
}

/** The failure for an exception from fetch or from reading the body. */
export function thrownFailure(err: unknown, how: { cancelled: boolean; timedOut: boolean; timeoutMs: number }, ctx: FailureContext): HttpFailure {
  if (how.cancelled) return failure('cancelled', 'The request was cancelled.', ctx, { retryable: false });
  if (how.timedOut) {
    return failure(
      'timeout',
      `No answer from ${ctx.baseUrl} within ${Math.round(how.timeoutMs / 1000)} s; the image will be retried. If the server is slow, raise the timeout.`,
      ctx,
      { retryable: true },
    );
  }
  const detail = innermostReason(err);
  return failure(
    'network',
    `The connection to ${ctx.baseUrl} failed (${detail}); the image will be retried. Check the network connection and the endpoint URL in Settings.`,
    ctx,
    { retryable: true },
  );
}
