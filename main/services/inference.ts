import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { AppFailure, type AppError } from '../../app/errors';
import { describeRef, type Engine, type ModelRef } from '../../app/model-ref';
import type { Settings } from '../../app/settings';
import type { FolderInfo, JobProgress, ResultRecord } from '../../app/types';
import type { Emit, Ports } from '../ports';
import { backoffDelay } from './backoff';
import type { Classifier, ClassifyInput, ClassifyOutcome, ClassifyTarget } from './classifier';
import { recordOf, selectItems, thrownOutcome, verdictOf, type Item } from './inference-outcome';
import { createProgressMeter, type ProgressMeter } from './progress-meter';
import { createModelRefs, type ModelRefs } from './model-refs';
import { createRateWindow, type RateWindow } from './rate-window';
import { redactSecrets } from './redact';
import { acquireRunLock, type RunLock } from './run-lock';
import { isStale, isWebId, storedIdentity, summarise, type ResultsJournal, type ResultsStore } from './results';
import type { Journal } from './results-journal';
import type { Entries } from './entry-table';

// The job queue: classifies a folder's images through the Classifier with a sliding window of
// requests in flight (never waves), adapting to 429s, retrying transient failures with jittered
// backoff, and journalling every outcome the moment it arrives. One bad image fails alone; a
// systemic answer (bad key, unknown model, quota) stops the whole job at once.
//
// One job per folder: starting while a job for that folder is running or paused returns that
// job's progress instead of a second job (a double-click on "Run" is harmless).
//
// Progress counts: `total` is the images this job sends (skipped ones are not in it), `skipped` the
// images already done for this endpoint + model with the file unchanged. Web images (https ids)
// are classified through the hosted-image route and journalled with the folder they came with.

/** What the queue needs from the library (main/services/library.ts satisfies it; the CLI builds one). */
export interface JobLibrary {
  get(folderId: string): { info: FolderInfo; entries: Entries; settled: Promise<unknown> } | undefined;
  resolve(folderId: string, id: string): Promise<string>;
}

export interface InferenceOptions {
  classifier: Classifier;
  results: Pick<ResultsStore, 'journal'>;
  library: JobLibrary;
  settings: { get(): Settings };
  /** Which model a job runs (default: the settings' model on the Roboflow API). */
  refs?: ModelRefs;
  /** The key for the endpoint an API job starts against (the credentials' key gate); never asked
   *  for an engine that needs none. */
  getApiKey: (baseUrl: string) => Promise<string>;
  emit: Emit;
  clock?: () => number;
  random?: () => number;
  /** Attempts per image, first send included (default 5). */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Minimum gap between jobProgress events (default 100 ms, i.e. ~10/s). */
  progressIntervalMs?: number;
}

type JobsPort = Ports['jobs'];

export interface Inference extends JobsPort {
  get(jobId: string): JobProgress | null;
  /** Resolves with the final progress once the job ended and nothing is in flight any more. */
  wait(jobId: string): Promise<JobProgress>;
  /** Cancels every job and waits for them to drain. */
  close(): Promise<void>;
}

interface Job {
  progress: JobProgress;
  target: ClassifyTarget;
  journal: Journal<ResultRecord>;
  window: RateWindow;
  ready: Item[];
  head: number;
  inflight: Map<Item, AbortController>;
  timers: Set<NodeJS.Timeout>;
  holdUntil: number;
  holdTimer: NodeJS.Timeout | null;
  writes: number;
  /** Whether the endpoint answered at all (any HTTP status) during this job. */
  answered: boolean;
  ended: boolean;
  meter: ProgressMeter;
  /** One writer per journal across processes; released when the job ends. */
  lock: RunLock;
  released?: Promise<void>;
  /** Whether a send first looks again for a result another process journalled (not when forced). */
  recheck: boolean;
  lastRefresh: number;
  finished: Promise<JobProgress>;
  resolveFinished: (p: JobProgress) => void;
}

/** How often a send may look at the journal file for results another process wrote. */
const recheckMs = 200;

const active = (state: JobProgress['state']) => state === 'running' || state === 'paused' || state === 'queued';

export function createInference(opts: InferenceOptions): Inference {
  const clock = opts.clock ?? Date.now;
  const random = opts.random ?? Math.random;
  const maxAttempts = opts.maxAttempts ?? 5;
  const jobs = new Map<string, Job>();
  const byFolder = new Map<string, string>();
  const iso = () => new Date(clock()).toISOString();

  const snapshot = (job: Job): JobProgress => ({ ...job.progress, inFlight: job.inflight.size, ...job.meter.rates(job.progress) });
  const report = (job: Job, force = false) => job.meter.report(force);

  /** `model` / `engine` override the settings' (a comparison run); the other options stay the settings'. */
  type StartRequest = { folderId: string; ids?: string[]; force?: boolean; failedOnly?: boolean; model?: string; engine?: Engine };
  const starting = new Map<string, Promise<JobProgress>>();
  const refs = opts.refs ?? createModelRefs({ settings: opts.settings });

  /** A second start while the first is still setting up (key, scan, journal) joins the first. */
  function start(request: StartRequest): Promise<JobProgress> {
    const pending = starting.get(request.folderId);
    if (pending) return pending;
    const started = startJob(request).finally(() => starting.delete(request.folderId));
    starting.set(request.folderId, started);
    return started;
  }

  /** The journal of this folder and model, refreshed, with this process as its one writer. */
  async function openJournal(folderId: string, ref: ModelRef): Promise<{ journal: ResultsJournal; lock: RunLock }> {
    const journal = await opts.results.journal(folderId, ref);
    // Another process (the CLI, a second app) running this folder with this model would send
    // every image twice: refuse while it runs.
    const lock = await acquireRunLock(journal.path);
    // The CLI may have classified some of these meanwhile: skip what it did.
    await journal.refresh().catch(async (error: unknown) => {
      await lock.release();
      throw error;
    });
    return { journal, lock };
  }

  async function startJob(request: StartRequest): Promise<JobProgress> {
    const running = byFolder.get(request.folderId);
    const existing = running ? jobs.get(running) : undefined;
    if (existing && active(existing.progress.state)) return snapshot(existing);

    const ref = refs.require({ model: request.model, engine: request.engine });
    const folder = opts.library.get(request.folderId);
    if (!folder) throw new AppFailure('not_found', 'That folder is not open any more. Open it again.');
    const apiKey = ref.engine === 'roboflow-api' ? await opts.getApiKey(ref.endpoint) : '';
    await folder.settled;
    const { journal, lock } = await openJournal(request.folderId, ref);
    // From the briefs kept in memory: reading 250,000 records back to decide would take seconds.
    const { items, skipped } = selectItems({ get: (id) => storedIdentity(journal, id) }, folder.entries, request);
    const job = newJob({ folderId: request.folderId, target: { ref, apiKey }, journal, lock, items, skipped, recheck: !request.force });
    jobs.set(job.progress.jobId, job);
    byFolder.set(request.folderId, job.progress.jobId);
    report(job, true);
    pump(job);
    return snapshot(job);
  }

  function newJob(parts: { folderId: string; target: ClassifyTarget; journal: Journal<ResultRecord>; lock: RunLock; items: Item[]; skipped: number; recheck: boolean }): Job {
    let resolveFinished!: (p: JobProgress) => void;
    const finished = new Promise<JobProgress>((resolve) => (resolveFinished = resolve));
    const progress: JobProgress = {
      jobId: randomUUID().slice(0, 8),
      folderId: parts.folderId,
      model: parts.target.ref.model,
      state: 'running',
      total: parts.items.length,
      done: 0,
      failed: 0,
      skipped: parts.skipped,
      inFlight: 0,
      rate: 0,
      etaSeconds: null,
    };
    const job: Job = {
      progress,
      target: parts.target,
      journal: parts.journal,
      window: createRateWindow(opts.settings.get().concurrency),
      ready: parts.items,
      head: 0,
      inflight: new Map(),
      timers: new Set(),
      holdUntil: 0,
      holdTimer: null,
      writes: 0,
      answered: false,
      ended: false,
      meter: undefined as unknown as ProgressMeter,
      lock: parts.lock,
      recheck: parts.recheck,
      lastRefresh: clock(),
      finished,
      resolveFinished,
    };
    job.meter = createProgressMeter({ clock, intervalMs: opts.progressIntervalMs ?? 100, emit: () => opts.emit('jobProgress', snapshot(job)) });
    return job;
  }

  function pump(job: Job): void {
    if (job.progress.state !== 'running') return settle(job);
    const now = clock();
    if (job.holdUntil > now) {
      // A 429 with Retry-After holds every new send, not just the retry of that image.
      if (!job.holdTimer) {
        job.holdTimer = setTimeout(() => {
          job.holdTimer = null;
          pump(job);
        }, job.holdUntil - now);
      }
      return;
    }
    while (job.inflight.size < job.window.limit && job.head < job.ready.length) {
      const item = job.ready[job.head++];
      void send(job, item);
    }
    // Resolve and stat the next images while the window is busy, so a freed slot goes straight
    // to the network (this touches only the local disk, never the endpoint).
    const ahead = Math.min(job.ready.length, job.head + job.window.limit);
    for (let i = job.head; i < ahead; i++) prepare(job, job.ready[i]).catch(() => undefined);
    if (job.head > 1024 && job.head * 2 > job.ready.length) {
      job.ready = job.ready.slice(job.head);
      job.head = 0;
    }
    settle(job);
  }

  function prepare(job: Job, item: Item): Promise<ClassifyInput> {
    item.input ??= resolveInput(job, item);
    return item.input;
  }

  async function resolveInput(job: Job, item: Item): Promise<ClassifyInput> {
    if (isWebId(item.id)) return { kind: 'url', url: item.id };
    const file = await opts.library.resolve(job.progress.folderId, item.id);
    let stat;
    try {
      stat = await fs.stat(file);
    } catch {
      throw new AppFailure('unreadable_file', `"${item.id}" could not be read. Check that the file still exists and is readable.`);
    }
    item.size = stat.size;
    item.mtimeMs = stat.mtimeMs;
    return { kind: 'file', path: file };
  }

  /** True when the journal now holds a current result for the item (written by another process
   *  since the job started): sending it again would only cost a second request. */
  async function doneElsewhere(job: Job, item: Item): Promise<boolean> {
    if (!job.recheck || item.attempts > 0) return false;
    if (clock() - job.lastRefresh >= recheckMs) {
      job.lastRefresh = clock();
      await job.journal.refresh().catch(() => undefined);
    }
    const previous = job.journal.get(item.id);
    return previous?.status === 'done' && !isStale(previous, item.entry);
  }

  async function send(job: Job, item: Item): Promise<void> {
    const controller = new AbortController();
    job.inflight.set(item, controller);
    if (await doneElsewhere(job, item)) {
      job.inflight.delete(item);
      job.progress.total--;
      job.progress.skipped++;
      report(job);
      return pump(job);
    }
    const generation = job.window.sent();
    item.attempts++;
    if (item.attempts === 1) {
      item.startedAt = iso();
      opts.emit('jobItem', { jobId: job.progress.jobId, folderId: job.progress.folderId, id: item.id, state: 'running' });
    }
    let outcome: ClassifyOutcome;
    try {
      const input = await prepare(job, item);
      outcome = await opts.classifier.classify(input, job.target, controller.signal, () => whileHeld(job, controller.signal));
    } catch (error) {
      outcome = thrownOutcome(error);
    }
    job.inflight.delete(item);
    await handle(job, item, outcome, generation);
  }

  /** Resolves once no Retry-After hold is in force (or the send is aborted). */
  async function whileHeld(job: Job, signal: AbortSignal): Promise<void> {
    while (job.holdUntil > clock() && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, job.holdUntil - clock());
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }

  async function handle(job: Job, item: Item, outcome: ClassifyOutcome, generation: number): Promise<void> {
    const verdict = verdictOf(outcome, {
      state: job.progress.state,
      attempts: item.attempts,
      maxAttempts,
      answered: job.answered,
      unreachable: job.target.ref.engine === 'roboflow-api' ? job.target.ref.endpoint : describeRef(job.target.ref),
    });
    if (outcome.ok || outcome.status !== undefined) job.answered = true;
    if (verdict.kind === 'drop') return settle(job);
    if (verdict.kind === 'stop') return stop(job, verdict.error);
    if (verdict.kind === 'retry') return retryLater(job, item, outcome, generation, verdict.rateLimited);
    if (outcome.ok) job.window.success(generation);
    await journalOutcome(job, item, outcome);
  }

  function retryLater(job: Job, item: Item, outcome: ClassifyOutcome, generation: number, rateLimited: boolean): void {
    const retryAfterMs = outcome.ok ? undefined : outcome.retryAfterMs;
    if (rateLimited) {
      job.window.rateLimited(generation);
      if (retryAfterMs !== undefined) job.holdUntil = Math.max(job.holdUntil, clock() + retryAfterMs);
    }
    const delay = backoffDelay(item.attempts, retryAfterMs, { baseMs: opts.backoffBaseMs, capMs: opts.backoffCapMs, random });
    const timer = setTimeout(() => {
      job.timers.delete(timer);
      job.ready.push(item);
      pump(job);
    }, delay);
    job.timers.add(timer);
    pump(job);
  }

  /** Appends the outcome to the journal, then counts and announces it. */
  async function journalOutcome(job: Job, item: Item, outcome: ClassifyOutcome): Promise<void> {
    const record = recordOf(item, outcome, [job.target.apiKey], iso());
    // Free the slot before the disk write so the window stays full (the pending write keeps the
    // job from settling meanwhile).
    job.writes++;
    pump(job);
    try {
      await job.journal.append(record);
    } catch (error) {
      job.writes--;
      return stop(job, { code: 'internal', message: `Results could not be saved (${error instanceof Error ? error.message : String(error)}). Check free disk space.` });
    }
    job.writes--;
    if (outcome.ok) job.progress.done++;
    else job.progress.failed++;
    job.meter.completed();
    opts.emit('jobItem', {
      jobId: job.progress.jobId,
      folderId: job.progress.folderId,
      id: item.id,
      state: outcome.ok ? 'done' : 'error',
      result: summarise(record, item.entry),
    });
    report(job);
    settle(job);
  }

  function halt(job: Job, state: 'cancelled' | 'stopped', error?: AppError): void {
    if (!active(job.progress.state)) return;
    job.progress.state = state;
    if (error) job.progress.error = error;
    for (const timer of job.timers) clearTimeout(timer);
    job.timers.clear();
    if (job.holdTimer) clearTimeout(job.holdTimer);
    job.holdTimer = null;
    for (const controller of job.inflight.values()) controller.abort();
    report(job, true);
    settle(job);
  }

  function stop(job: Job, error: AppError): void {
    halt(job, 'stopped', { code: error.code, message: redactSecrets(error.message, [job.target.apiKey]) });
  }

  /** Ends the job once nothing remains to send, wait for or write. */
  function settle(job: Job): void {
    const idle = job.inflight.size === 0 && job.writes === 0;
    const state = job.progress.state;
    if (state === 'running' || state === 'paused') {
      if (!idle || job.timers.size > 0 || job.head < job.ready.length) return;
      job.progress.state = 'done';
    } else if (!idle) return;
    if (!job.ended && !active(job.progress.state)) {
      job.ended = true;
      // An ended job keeps only its progress (for get/wait): release its items, up to a folder's worth.
      job.ready = [];
      job.head = 0;
      const final = snapshot(job);
      job.meter.close();
      job.released = job.lock.release().catch(() => undefined);
      opts.emit('jobProgress', final);
      job.resolveFinished(final);
    }
  }

  const withJob = (jobId: string, action: (job: Job) => void): JobProgress | null => {
    const job = jobs.get(jobId);
    if (!job) return null;
    action(job);
    return snapshot(job);
  };

  return {
    start,
    pause: (jobId) =>
      withJob(jobId, (job) => {
        if (job.progress.state !== 'running') return;
        job.progress.state = 'paused';
        report(job, true);
      }),
    resume: (jobId) =>
      withJob(jobId, (job) => {
        if (job.progress.state !== 'paused') return;
        job.progress.state = 'running';
        report(job, true);
        pump(job);
      }),
    cancel: (jobId) => withJob(jobId, (job) => halt(job, 'cancelled')),
    get: (jobId) => withJob(jobId, () => undefined),
    wait(jobId) {
      const job = jobs.get(jobId);
      if (!job) return Promise.reject(new AppFailure('not_found', 'No such job.'));
      return job.finished;
    },
    async close() {
      const all = [...jobs.values()];
      for (const job of all) halt(job, 'cancelled');
      await Promise.all(all.map((job) => job.finished.then(() => job.released)));
    },
  };
}
