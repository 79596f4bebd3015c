import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Correction } from '../../app/corrections';
import { splits, tagProblem, type LabelOrigin, type SendItemPlan, type SendPlan, type SendProgress, type SendRequest, type SentMark } from '../../app/dataset-send';
import { AppFailure, appError, type AppError } from '../../app/errors';
import { LabelMatcher, normaliseLabel } from '../../app/ground-truth';
import type { Settings } from '../../app/settings';
import { classThresholdsKey } from '../../app/class-thresholds';
import { thresholdRule } from '../../app/roboflow';
import { backoffDelay } from './backoff';
import type { DatasetClient, DatasetFailure, DatasetTarget, ProjectInfo, UploadFile } from './dataset-upload-client';
import { alreadySent, uploadedAlready, type SentJournals, type SentRecord } from './dataset-upload-journal';
import { selectionSteps } from './dataset-upload-select';
import { inTurns } from './next-turn';
import { readLabelsCsv } from './evaluation';
import type { JobLibrary } from './inference';
import { base64Length, prepareImage, readImageFile } from './prepare-image';
import { createRateWindow, type RateWindow } from './rate-window';
import { redactSecrets } from './redact';
import type { ResultsStore } from './results';
import { createModelRefs, type ModelRefs } from './model-refs';
import type { Journal } from './results-journal';
import type { Entries } from './entry-table';

// Sends reviewed images and their labels to a Roboflow project: checks the project (exists, is a
// classification project of the labels' kind, knows every label or the person mapped / skipped
// it), then uploads and labels each image through a window of requests in flight that narrows on
// 429 and honours Retry-After, retrying transient failures with jittered backoff, exactly as
// inference does. Every upload and label is journalled the moment it is confirmed, so a re-send
// (or a send after a crash) skips what the project already holds, and an image uploaded but not
// yet labelled is only labelled. A duplicate upload (the project has these bytes) still gets its
// label. One image failing never stops the send; 401/402/403/404/423 stop it at once.

export interface DatasetUploadOptions {
  library: Pick<JobLibrary, 'get' | 'resolve'>;
  results: Pick<ResultsStore, 'journal' | 'stored'>;
  /** Which model's results `model` means (default: on the Roboflow API of the settings). */
  refs?: ModelRefs;
  corrections: { lookup(folderId: string): Promise<(id: string) => Correction | undefined> };
  settings: { get(): Settings };
  journals: SentJournals;
  client: DatasetClient;
  /** The API key for the platform URL the send goes to, read when a send is planned. */
  getApiKey: (platformUrl: string) => Promise<string>;
  emit: (progress: SendProgress) => void;
  clock?: () => number;
  random?: () => number;
  /** Attempts per image, first send included (default 5). */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Files above this many bytes are re-encoded to fit (default 20 MiB, Roboflow's upload limit). */
  maxUploadBytes?: number;
}

export interface DatasetUpload {
  /** What a send would do: the images, their labels and sources, the project check. */
  plan(request: SendRequest): Promise<SendPlan>;
  start(request: SendRequest): Promise<SendProgress>;
  pause(sendId: string): SendProgress | null;
  resume(sendId: string): SendProgress | null;
  cancel(sendId: string): SendProgress | null;
  get(sendId: string): SendProgress | null;
  wait(sendId: string): Promise<SendProgress>;
  /** Images of the folder already sent, for the tiles and the "sent" filter. */
  marks(folderId: string): Promise<SentMark[]>;
  close(): Promise<void>;
}

interface Prepared {
  plan: SendPlan;
  target: DatasetTarget;
  entries: Entries;
  journal: Journal<SentRecord> | null;
}

interface Item extends SendItemPlan {
  attempts: number;
}

interface Send {
  progress: SendProgress;
  request: SendRequest;
  target: DatasetTarget;
  workspace: string;
  entries: Entries;
  journal: Journal<SentRecord>;
  window: RateWindow;
  queue: Item[];
  inflight: Map<Item, AbortController>;
  timers: Set<NodeJS.Timeout>;
  holdUntil: number;
  holdTimer: NodeJS.Timeout | null;
  answered: boolean;
  ended: boolean;
  finished: Promise<SendProgress>;
  resolve: (p: SendProgress) => void;
}

const maxFailuresListed = 100;
const mimeTypes: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
};
const active = (state: SendProgress['state']) => state === 'running' || state === 'paused';

/** The checks on the parts of a request the person typed (split, batch, tags). */
export function requestProblem(request: Pick<SendRequest, 'split' | 'batch' | 'tags' | 'project'>): string | null {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(request.project)) return `"${request.project}" is not a project name; use the part before "/" in a model id, e.g. cats-vs-dogs.`;
  if (!(splits as readonly string[]).includes(request.split)) return 'The split must be train, valid or test.';
  if (request.batch.trim() === '' || request.batch.length > 255) return 'Give a batch name of 1 to 255 characters.';
  for (const tag of request.tags) {
    const problem = tagProblem(tag);
    if (problem) return problem;
  }
  return null;
}

export function createDatasetUpload(opts: DatasetUploadOptions): DatasetUpload {
  const refs = opts.refs ?? createModelRefs({ settings: opts.settings });
  const clock = opts.clock ?? Date.now;
  const random = opts.random ?? Math.random;
  const maxAttempts = opts.maxAttempts ?? 5;
  const maxUploadBytes = opts.maxUploadBytes ?? 20 * 1024 * 1024;
  const sends = new Map<string, Send>();
  const iso = () => new Date(clock()).toISOString();

  const snapshot = (s: Send): SendProgress => ({ ...s.progress, inFlight: s.inflight.size, failures: [...s.progress.failures] });
  const report = (s: Send) => opts.emit(snapshot(s));

  async function prepare(request: SendRequest): Promise<Prepared> {
    const invalid = requestProblem(request);
    if (invalid) throw new AppFailure('invalid_input', invalid);
    const folder = opts.library.get(request.folderId);
    if (!folder) throw new AppFailure('not_found', 'That folder is not open any more. Open it again.');
    await folder.settled;
    const settings = opts.settings.get();
    const platformUrl = settings.platformApiUrl.trim().replace(/\/+$/, '');
    const apiKey = await opts.getApiKey(platformUrl);
    const target: DatasetTarget = { platformUrl, project: request.project, apiKey };

    let info: ProjectInfo | null = null;
    let problem: AppError | null = null;
    try {
      info = await opts.client.project(target);
    } catch (error) {
      problem = error instanceof AppFailure ? error.toJSON() : appError('internal', redactSecrets(String((error as Error)?.message ?? error), [apiKey]));
    }

    const model = request.model ?? settings.model;
    const ref = model ? refs.current({ model }) : null;
    const results = ref ? await opts.results.journal(request.folderId, ref) : null;
    const correction = await opts.corrections.lookup(request.folderId);
    const csv = request.labelsPath ? (await readLabelsCsv(request.labelsPath)).labels : null;
    const selection = await inTurns(selectionSteps({
      entries: folder.entries.values(),
      ids: request.ids,
      only: request.only,
      labels: request.labels,
      results: opts.results.stored(results),
      correction,
      threshold: thresholdRule(request.threshold ?? settings.threshold, model ? settings.classThresholds[classThresholdsKey(request.folderId, model)] : null),
      classes: info?.classes,
      csv,
      mapping: settings.groundTruthMappings[request.folderId],
      tag: request.tag,
      imageTags: request.imageTags,
    }));

    if (info && !problem) {
      const labelsMulti = selection.items.some((i) => i.labels.length > 1);
      if (!/classification/i.test(info.type)) {
        problem = appError('invalid_input', `"${info.project}" is a ${info.type} project; only classification projects take class labels. Choose a classification project.`);
      } else if ((labelsMulti || selection.multiLabel === true) && !info.multiLabel) {
        problem = appError('invalid_input', `"${info.project}" is a single-label project, but these labels come from a multi-label model. Choose a multi-label project.`);
      } else if (selection.multiLabel === false && info.multiLabel) {
        problem = appError('invalid_input', `"${info.project}" is a multi-label project, but the model is single-label. Choose a single-label classification project.`);
      }
    }

    // Labels the project lacks: the person's map first, then a match ignoring case, '-', '_' and
    // spaces. A project without classes yet takes any label (Roboflow adds the class).
    const classMap = Object.fromEntries(Object.entries(request.classMap ?? {}).map(([k, v]) => [normaliseLabel(k), v]));
    const matcher = info && info.classes.length > 0 ? new LabelMatcher(info.classes, classMap) : null;
    const unknown = new Map<string, number>();
    let skippedByMap = 0;
    const mapped: SendItemPlan[] = [];
    for (const item of selection.items) {
      const labels: string[] = [];
      let skip = false;
      let missing = false;
      for (const label of item.labels) {
        const match = matcher?.match(label) ?? { kind: 'class' as const, label: classMap[normaliseLabel(label)] ?? label };
        if (match.kind === 'class') labels.push(match.label);
        else if (match.kind === 'ignore') skip = true;
        else {
          missing = true;
          unknown.set(label, (unknown.get(label) ?? 0) + 1);
        }
      }
      if (skip) skippedByMap++;
      else if (!missing) mapped.push({ ...item, labels: [...new Set(labels)] });
    }

    const journal = info ? await opts.journals.open({ folderId: request.folderId, platformUrl, workspace: info.workspace, project: info.project }) : null;
    await journal?.refresh();
    const toSend = mapped.filter((item) => !alreadySent(journal?.get(item.id), folder.entries.get(item.id), item.labels));
    const byOrigin: Record<LabelOrigin, number> = { correction: 0, truth: 0, prediction: 0 };
    for (const item of toSend) byOrigin[item.origin]++;
    return {
      plan: {
        project: request.project,
        workspace: info?.workspace ?? null,
        items: toSend,
        byOrigin,
        noLabel: selection.noLabel,
        alreadySent: mapped.length - toSend.length,
        skippedByMap,
        unknown: [...unknown].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)),
        classes: info?.classes ?? null,
        problem,
      },
      target,
      entries: folder.entries,
      journal,
    };
  }

  async function start(request: SendRequest): Promise<SendProgress> {
    for (const s of sends.values()) {
      if (s.request.folderId === request.folderId && active(s.progress.state)) return snapshot(s);
    }
    const { plan, target, entries, journal } = await prepare(request);
    if (plan.problem) throw new AppFailure(plan.problem.code, plan.problem.message);
    if (plan.unknown.length > 0) {
      const list = plan.unknown.slice(0, 10).map((u) => `${u.label} (${u.count})`).join(', ');
      throw new AppFailure('invalid_input', `${plan.unknown.length} label${plan.unknown.length === 1 ? ' is' : 's are'} not a class of "${plan.project}": ${list}. Map each to a class of the project or skip it.`);
    }
    if (!journal || !plan.workspace) throw new AppFailure('internal', 'The project could not be checked.');
    const sendId = randomUUID().slice(0, 8);
    let resolve!: (p: SendProgress) => void;
    const finished = new Promise<SendProgress>((r) => (resolve = r));
    const s: Send = {
      progress: {
        sendId,
        folderId: request.folderId,
        project: request.project,
        state: 'running',
        total: plan.items.length,
        done: 0,
        failed: 0,
        skipped: plan.alreadySent,
        duplicates: 0,
        kept: 0,
        inFlight: 0,
        failures: [],
      },
      request,
      target,
      workspace: plan.workspace,
      entries,
      journal,
      window: createRateWindow(opts.settings.get().concurrency),
      queue: plan.items.map((item) => ({ ...item, attempts: 0 })),
      inflight: new Map(),
      timers: new Set(),
      holdUntil: 0,
      holdTimer: null,
      answered: false,
      ended: false,
      finished,
      resolve,
    };
    sends.set(sendId, s);
    report(s);
    pump(s);
    return snapshot(s);
  }

  function pump(s: Send): void {
    if (s.progress.state !== 'running') return settle(s);
    const now = clock();
    if (s.holdUntil > now) {
      s.holdTimer ??= setTimeout(() => {
        s.holdTimer = null;
        pump(s);
      }, s.holdUntil - now);
      return;
    }
    while (s.inflight.size < s.window.limit && s.queue.length > 0) void run(s, s.queue.shift() as Item);
    settle(s);
  }

  async function fileFor(s: Send, id: string): Promise<UploadFile> {
    const file = await opts.library.resolve(s.progress.folderId, id);
    const source = await readImageFile(file);
    const name = id.replace(/\//g, '_');
    if (source.length <= maxUploadBytes) return { name, bytes: source, mime: mimeTypes[path.extname(id).toLowerCase()] ?? 'application/octet-stream' };
    // Above Roboflow's upload limit: a JPEG that fits (smaller side or lower quality as needed).
    const prepared = await prepareImage(source, { maxUploadSize: 0, requestLimit: base64Length(maxUploadBytes) });
    return { name: name.replace(/\.[^./]*$/, '') + '.jpg', bytes: prepared.body, mime: 'image/jpeg' };
  }

  /** One attempt at bringing one image into the project with its label; journals each step. */
  async function attempt(s: Send, item: Item, signal: AbortSignal): Promise<{ ok: true; duplicate: boolean; kept: boolean } | DatasetFailure> {
    const entry = s.entries.get(item.id);
    let record = s.journal.get(item.id);
    let duplicate = false;
    if (!uploadedAlready(record, entry)) {
      const stat = await fs.stat(await opts.library.resolve(s.progress.folderId, item.id)).catch(() => null);
      if (!stat) throw new AppFailure('unreadable_file', `"${item.id}" could not be read. Check that the file still exists.`);
      const file = await fileFor(s, item.id);
      const tags = [...new Set([...s.request.tags, ...(item.tags ?? [])])];
      const sent = await opts.client.upload(s.target, file, { split: s.request.split, batch: s.request.batch, tags }, signal);
      if (!sent.ok) return sent;
      duplicate = sent.duplicate;
      record = {
        id: item.id,
        size: stat.size,
        mtimeMs: stat.mtimeMs,
        project: s.target.project,
        workspace: s.workspace,
        imageId: sent.imageId,
        duplicate,
        split: s.request.split,
        batch: s.request.batch,
        tags,
        uploadedAt: iso(),
      };
      await s.journal.append(record);
    }
    // A person's label replaces whatever the project has; a model's prediction never replaces one.
    const overwrite = item.origin !== 'prediction';
    const labelled = await opts.client.annotate(s.target, record.imageId, item.labels, overwrite, signal);
    if (!labelled.ok && !labelled.conflict) return labelled;
    const kept = !labelled.ok;
    const next: SentRecord = { ...record, labelledAt: iso() };
    if (kept) {
      next.kept = true;
      delete next.labels;
      delete next.origin;
    } else {
      next.labels = item.labels;
      next.origin = item.origin;
      delete next.kept;
    }
    await s.journal.append(next);
    return { ok: true, duplicate: duplicate || record.duplicate, kept };
  }

  async function run(s: Send, item: Item): Promise<void> {
    const controller = new AbortController();
    s.inflight.set(item, controller);
    const generation = s.window.sent();
    item.attempts++;
    let outcome: Awaited<ReturnType<typeof attempt>>;
    try {
      outcome = await attempt(s, item, controller.signal);
    } catch (error) {
      const e: AppError = error instanceof AppFailure ? error.toJSON() : appError('internal', `Unexpected failure: ${error instanceof Error ? error.message : String(error)}`);
      outcome = { ok: false, error: e, retryable: false, systemic: false };
    }
    s.inflight.delete(item);
    const state = s.progress.state;
    if (!outcome.ok && (state === 'cancelled' || state === 'stopped')) return settle(s);
    if (!outcome.ok && outcome.systemic) return stop(s, outcome.error);
    if (outcome.ok || outcome.status !== undefined) s.answered = true;
    if (!outcome.ok && outcome.retryable && item.attempts < maxAttempts) {
      if (outcome.status === 429) {
        s.window.rateLimited(generation);
        if (outcome.retryAfterMs !== undefined) s.holdUntil = Math.max(s.holdUntil, clock() + outcome.retryAfterMs);
      }
      const delay = backoffDelay(item.attempts, outcome.retryAfterMs, { baseMs: opts.backoffBaseMs, capMs: opts.backoffCapMs, random });
      const timer = setTimeout(() => {
        s.timers.delete(timer);
        s.queue.push(item);
        pump(s);
      }, delay);
      s.timers.add(timer);
      return pump(s);
    }
    if (outcome.ok) {
      s.window.success(generation);
      s.progress.done++;
      if (outcome.duplicate) s.progress.duplicates++;
      if (outcome.kept) s.progress.kept++;
    } else if (outcome.error.code === 'network' && !s.answered) {
      return stop(s, appError('network', `Roboflow at ${s.target.platformUrl} could not be reached. Check the network connection, then send again; nothing sent so far is lost.`));
    } else {
      s.progress.failed++;
      if (s.progress.failures.length < maxFailuresListed) s.progress.failures.push({ id: item.id, error: outcome.error });
    }
    report(s);
    pump(s);
  }

  function halt(s: Send, state: 'cancelled' | 'stopped', error?: AppError): void {
    if (!active(s.progress.state)) return;
    s.progress.state = state;
    if (error) s.progress.error = { code: error.code, message: redactSecrets(error.message, [s.target.apiKey]) };
    for (const timer of s.timers) clearTimeout(timer);
    s.timers.clear();
    if (s.holdTimer) clearTimeout(s.holdTimer);
    s.holdTimer = null;
    s.queue = [];
    for (const controller of s.inflight.values()) controller.abort();
    report(s);
    settle(s);
  }

  const stop = (s: Send, error: AppError) => halt(s, 'stopped', error);

  function settle(s: Send): void {
    const idle = s.inflight.size === 0;
    if (s.progress.state === 'running' || s.progress.state === 'paused') {
      if (!idle || s.timers.size > 0 || s.queue.length > 0) return;
      s.progress.state = 'done';
    } else if (!idle) return;
    if (s.ended) return;
    s.ended = true;
    const final = snapshot(s);
    opts.emit(final);
    s.resolve(final);
  }

  const withSend = (sendId: string, action: (s: Send) => void): SendProgress | null => {
    const s = sends.get(sendId);
    if (!s) return null;
    action(s);
    return snapshot(s);
  };

  return {
    async plan(request) {
      return (await prepare(request)).plan;
    },
    start,
    pause: (sendId) =>
      withSend(sendId, (s) => {
        if (s.progress.state !== 'running') return;
        s.progress.state = 'paused';
        report(s);
      }),
    resume: (sendId) =>
      withSend(sendId, (s) => {
        if (s.progress.state !== 'paused') return;
        s.progress.state = 'running';
        report(s);
        pump(s);
      }),
    cancel: (sendId) => withSend(sendId, (s) => halt(s, 'cancelled')),
    get: (sendId) => withSend(sendId, () => undefined),
    wait(sendId) {
      const s = sends.get(sendId);
      return s ? s.finished : Promise.reject(new AppFailure('not_found', 'No such send.'));
    },
    marks: (folderId) => opts.journals.marks(folderId),
    async close() {
      const all = [...sends.values()];
      for (const s of all) halt(s, 'cancelled');
      await Promise.all(all.map((s) => s.finished));
      await opts.journals.close();
    },
  };
}
