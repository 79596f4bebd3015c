import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { AppFailure, isAppError, isSystemic, type AppError } from '../../app/errors';
import { endpointBase, modelIdPattern, type Settings } from '../../app/settings';
import type { FolderInfo, ImageEntry, JobProgress, ResultRecord } from '../../app/types';
import type { Emit, Ports } from '../handlers';
import { backoffDelay } from './backoff';
import type { Classifier, ClassifyInput, ClassifyOutcome, ClassifyTarget } from './classifier';
import { createProgressMeter, type ProgressMeter } from './progress-meter';
import { createRateWindow, type RateWindow } from './rate-window';
import { redactSecrets } from './redact';
import { acquireRunLock, type RunLock } from './run-lock';
import { isStale, isWebId, summarise, type ResultsStore } from './results';
import type { Journal } from './results-journal';

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
  get(folderId: string): { info: FolderInfo; entries: Map<string, ImageEntry>; done: Promise<unknown> } | undefined;
  resolve(folderId: string, id: string): Promise<string>;
}

export interface InferenceOptions {
  classifier: Classifier;
  results: Pick<ResultsStore, 'journal'>;
  library: JobLibrary;
  settings: { get(): Settings };
  /** The key for the endpoint a job starts against (the credentials' key gate). */
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

interface Item {
  id: string;
  entry?: ImageEntry;
  attempts: number;
  /** The file resolved and stat'ed once (possibly ahead of its turn). */
  input?: Promise<ClassifyInput>;
  size: number;
  mtimeMs: number;
  startedAt?: string;
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

  /** `model` overrides the current model (a comparison run); endpoint and options stay the settings'. */
  type StartRequest = { folderId: string; ids?: string[]; force?: boolean; failedOnly?: boolean; model?: string };
  const starting = new Map<string, Promise<JobProgress>>();

  /** A second start while the first is still setting up (key, scan, journal) joins the first. */
  function start(request: StartRequest): Promise<JobProgress> {
    const pending = starting.get(request.folderId);
    if (pending) return pending;
    const started = startJob(request).finally(() => starting.delete(request.folderId));
    starting.set(request.folderId, started);
    return started;
  }

  async function startJob(request: StartRequest): Promise<JobProgress> {
    const running = byFolder.get(request.folderId);
    const existing = running ? jobs.get(running) : undefined;
    if (existing && active(existing.progress.state)) return snapshot(existing);

    const settings = opts.settings.get();
    const model = request.model ?? settings.model;
    const baseUrl = endpointBase(settings);
    if (!baseUrl) throw new AppFailure('invalid_input', 'Set the endpoint URL in Settings (for a self-hosted server, http://host:9001).');
    if (!modelIdPattern.test(model)) {
      throw new AppFailure('invalid_input', 'Set the model in Settings as project/version, for example cats-vs-dogs/3.');
    }
    const folder = opts.library.get(request.folderId);
    if (!folder) throw new AppFailure('not_found', 'That folder is not open any more. Open it again.');
    const apiKey = await opts.getApiKey(baseUrl);
    await folder.done;
    const journal = await opts.results.journal(request.folderId, baseUrl, model);
    // Another process (the CLI, a second app) running this folder with this model would send
    // every image twice: refuse while it runs.
    const lock = await acquireRunLock(journal.path);
    // The CLI may have classified some of these meanwhile: skip what it did.
    await journal.refresh().catch(async (error: unknown) => {
      await lock.release();
      throw error;
    });

    const items: Item[] = [];
    let skipped = 0;
    const consider = (id: string, entry: ImageEntry | undefined) => {
      const previous = journal.get(id);
      const fresh = previous !== undefined && !isStale(previous, entry);
      if (request.failedOnly ? previous?.status !== 'error' : !request.force && fresh && previous.status === 'done') {
        skipped++;
        return;
      }
      items.push({ id, entry, attempts: 0, size: entry?.size ?? 0, mtimeMs: entry?.mtimeMs ?? 0 });
    };
    if (request.ids) {
      for (const id of new Set(request.ids)) {
        const entry = folder.entries.get(id);
        if (entry || isWebId(id)) consider(id, entry);
      }
    } else {
      for (const entry of folder.entries.values()) consider(entry.id, entry);
    }

    const jobId = randomUUID().slice(0, 8);
    let resolveFinished!: (p: JobProgress) => void;
    const finished = new Promise<JobProgress>((resolve) => (resolveFinished = resolve));
    const progress: JobProgress = {
      jobId,
      folderId: request.folderId,
      model,
      state: 'running',
      total: items.length,
      done: 0,
      failed: 0,
      skipped,
      inFlight: 0,
      rate: 0,
      etaSeconds: null,
    };
    const job: Job = {
      progress,
      target: { baseUrl, model, apiKey },
      journal,
      window: createRateWindow(settings.concurrency),
      ready: items,
      head: 0,
      inflight: new Map(),
      timers: new Set(),
      holdUntil: 0,
      holdTimer: null,
      writes: 0,
      answered: false,
      ended: false,
      meter: undefined as unknown as ProgressMeter,
      lock,
      recheck: !request.force,
      lastRefresh: clock(),
      finished,
      resolveFinished,
    };
    job.meter = createProgressMeter({ clock, intervalMs: opts.progressIntervalMs ?? 100, emit: () => opts.emit('jobProgress', snapshot(job)) });
    jobs.set(jobId, job);
    byFolder.set(request.folderId, jobId);
    report(job, true);
    pump(job);
    return snapshot(job);
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
      const appErr: AppError =
        error instanceof AppFailure || isAppError(error)
          ? { code: error.code, message: error.message }
          : { code: 'internal', message: `Unexpected failure: ${error instanceof Error ? error.message : String(error)}` };
      outcome = { ok: false, error: appErr, retryable: false };
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
    const state = job.progress.state;
    if (!outcome.ok && (state === 'cancelled' || state === 'stopped')) return settle(job);
    if (!outcome.ok && isSystemic(outcome.error.code)) return stop(job, outcome.error);
    if (outcome.ok || outcome.status !== undefined) job.answered = true;
    if (!outcome.ok && outcome.retryable && item.attempts < maxAttempts) {
      if (outcome.status === 429 || outcome.error.code === 'rate_limited') {
        job.window.rateLimited(generation);
        if (outcome.retryAfterMs !== undefined) job.holdUntil = Math.max(job.holdUntil, clock() + outcome.retryAfterMs);
      }
      const delay = backoffDelay(item.attempts, outcome.retryAfterMs, { baseMs: opts.backoffBaseMs, capMs: opts.backoffCapMs, random });
      const timer = setTimeout(() => {
        job.timers.delete(timer);
        job.ready.push(item);
        pump(job);
      }, delay);
      job.timers.add(timer);
      return pump(job);
    }
    if (outcome.ok) job.window.success(generation);
    else if (outcome.error.code === 'network' && !job.answered) {
      // Not one answer yet and an image gave up on the network: the endpoint itself is unreachable,
      // and every other image would fail the same way.
      return stop(job, {
        code: 'network',
        message: `The endpoint ${job.target.baseUrl} could not be reached. Check the endpoint URL and your network, then run again.`,
      });
    }
    const record: ResultRecord = {
      id: item.id,
      size: item.size,
      mtimeMs: item.mtimeMs,
      status: outcome.ok ? 'done' : 'error',
      startedAt: item.startedAt ?? iso(),
      finishedAt: iso(),
    };
    if (outcome.ok) record.response = outcome.response;
    else record.error = { code: outcome.error.code, message: redactSecrets(outcome.error.message, [job.target.apiKey]) };
    if (outcome.sent) record.sent = outcome.sent;
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
