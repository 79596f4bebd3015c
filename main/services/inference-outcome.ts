import { AppFailure, isAppError, isSystemic, type AppError } from '../../app/errors';
import type { ImageEntry, JobProgress, ResultRecord } from '../../app/types';
import type { ClassifyInput, ClassifyOutcome } from './classifier';
import { redactSecrets } from './redact';
import { isStale, isWebId } from './results';
import type { Entries } from './entry-table';

// The job queue's decisions, kept apart from its timers and windows (inference.ts): which images a
// run sends, what an attempt's outcome means for the job, and the journal line it becomes.

/** One image of a job. */
export interface Item {
  id: string;
  entry?: ImageEntry;
  attempts: number;
  /** The file resolved and stat'ed once (possibly ahead of its turn). */
  input?: Promise<ClassifyInput>;
  size: number;
  mtimeMs: number;
  startedAt?: string;
}

export interface ItemRequest {
  ids?: string[];
  force?: boolean;
  failedOnly?: boolean;
}

/** The images a run sends, and how many it skips: done already (file unchanged), or, for a
 *  failed-only run, anything that did not fail. */
export function selectItems(
  journal: { get(id: string): Pick<ResultRecord, 'id' | 'size' | 'mtimeMs' | 'status'> | undefined },
  entries: Entries,
  request: ItemRequest,
): { items: Item[]; skipped: number } {
  const items: Item[] = [];
  let skipped = 0;
  const consider = (id: string, entry: ImageEntry | undefined) => {
    const previous = journal.get(id);
    const fresh = previous !== undefined && !isStale(previous, entry);
    const skip = request.failedOnly ? previous?.status !== 'error' : !request.force && fresh && previous.status === 'done';
    if (skip) skipped++;
    else items.push({ id, entry, attempts: 0, size: entry?.size ?? 0, mtimeMs: entry?.mtimeMs ?? 0 });
  };
  if (!request.ids) {
    for (const entry of entries.values()) consider(entry.id, entry);
    return { items, skipped };
  }
  for (const id of new Set(request.ids)) {
    const entry = entries.get(id);
    if (entry || isWebId(id)) consider(id, entry);
  }
  return { items, skipped };
}

/** A thrown error as a failed attempt (not worth retrying). */
export function thrownOutcome(error: unknown): ClassifyOutcome {
  const appErr: AppError =
    error instanceof AppFailure || isAppError(error)
      ? { code: error.code, message: error.message }
      : { code: 'internal', message: `Unexpected failure: ${error instanceof Error ? error.message : String(error)}` };
  return { ok: false, error: appErr, retryable: false };
}

export type Verdict =
  /** The job was cancelled or stopped meanwhile: nothing to record. */
  | { kind: 'drop' }
  /** Every image would fail the same way: stop the job with this error. */
  | { kind: 'stop'; error: AppError }
  /** Try the image again later. */
  | { kind: 'retry'; rateLimited: boolean }
  /** Journal the outcome. */
  | { kind: 'record' };

export interface VerdictContext {
  state: JobProgress['state'];
  attempts: number;
  maxAttempts: number;
  /** Whether the engine answered anything during this job (before this outcome). */
  answered: boolean;
  /** Names the engine in the message when it cannot be reached. */
  unreachable: string;
}

/** What an attempt's outcome means for the job. */
export function verdictOf(outcome: ClassifyOutcome, ctx: VerdictContext): Verdict {
  if (outcome.ok) return { kind: 'record' };
  if (ctx.state === 'cancelled' || ctx.state === 'stopped') return { kind: 'drop' };
  if (isSystemic(outcome.error.code)) return { kind: 'stop', error: outcome.error };
  if (outcome.retryable && ctx.attempts < ctx.maxAttempts) {
    return { kind: 'retry', rateLimited: outcome.status === 429 || outcome.error.code === 'rate_limited' };
  }
  // Not one answer yet and an image gave up on the network: the endpoint itself is unreachable,
  // and every other image would fail the same way.
  const answered = ctx.answered || outcome.status !== undefined;
  if (outcome.error.code === 'network' && !answered) {
    return { kind: 'stop', error: { code: 'network', message: `The endpoint ${ctx.unreachable} could not be reached. Check the endpoint URL and your network, then run again.` } };
  }
  return { kind: 'record' };
}

/** The journal line of an attempt's outcome; error messages never carry the key. */
export function recordOf(item: Item, outcome: ClassifyOutcome, secrets: string[], finishedAt: string): ResultRecord {
  const record: ResultRecord = {
    id: item.id,
    size: item.size,
    mtimeMs: item.mtimeMs,
    status: outcome.ok ? 'done' : 'error',
    startedAt: item.startedAt ?? finishedAt,
    finishedAt,
  };
  if (outcome.ok) record.response = outcome.response;
  else record.error = { code: outcome.error.code, message: redactSecrets(outcome.error.message, secrets) };
  if (outcome.sent) record.sent = outcome.sent;
  return record;
}
