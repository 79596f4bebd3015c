import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EventName, Events } from '../../app/contract';
import type { EvalReport } from '../../app/eval-report';
import type { FolderInfo, JobProgress } from '../../app/types';
import { createAppServices, type AppServices } from '../../main/compose';
import { createHandlers, dispatch, type Handlers } from '../../main/handlers';
import type { Ports } from '../../main/ports';

// The app as the shells start it (composition root + handler table), for tests that drive it
// through `dispatch` with contract validation included. Each test keeps its own settings, keys and
// peers; this only starts the services, collects their events and waits on them.

export type Emitted = Array<{ event: EventName; payload: unknown }>;

export interface AppHarnessOptions {
  dataDir: string;
  /** Environment the credentials service reads; `{}` unless given, so no ROBOFLOW_API_KEY leaks in. */
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** Dialogs answer from `App.answers` (all "cancelled" at first) unless given. */
  dialogs?: Ports['dialogs'];
  /** Collect events into this array (kept across restarts), else into a new one. */
  events?: Emitted;
  /** The folder given on the command line (what `initialFolder` answers). */
  initialFolder?: string | null;
}

/** What the default dialogs answer, set by the test (main's dialogs, scripted on main's side). */
export interface DialogAnswers {
  folder: string | null;
  file: string | null;
  /** Where an export goes; null = the person cancelled. */
  exportPath: string | null;
}

export interface App {
  services: AppServices;
  /** The scripted dialogs' next answers (used when no `dialogs` were given). */
  answers: DialogAnswers;
  handlers: Handlers;
  events: Emitted;
  /** Dispatches and unwraps the envelope; a failure throws `code: message`. */
  call<T = unknown>(channel: string, payload?: unknown): Promise<T>;
  /** Opens a folder and waits until a scan has finished; returns its folder id. */
  open(folder: string): Promise<string>;
  /** Waits until the job's last progress event is terminal and returns it. */
  finished(jobId: string): Promise<JobProgress>;
  until(condition: () => boolean): Promise<void>;
  close(): Promise<void>;
}

const terminal: ReadonlyArray<JobProgress['state']> = ['done', 'stopped', 'cancelled'];

/** Starts the services and handler table over `dataDir`; close() shuts the services down. */
export async function startApp(opts: AppHarnessOptions): Promise<App> {
  const events = opts.events ?? [];
  const answers: DialogAnswers = { folder: null, file: null, exportPath: null };
  const services = await createAppServices({
    dataDir: opts.dataDir,
    emit: <E extends EventName>(event: E, payload: Events[E]) => void events.push({ event, payload }),
    dialogs: opts.dialogs ?? { pickFolder: async () => answers.folder, pickFile: async () => answers.file, pickExportPath: async () => answers.exportPath },
    env: opts.env ?? {},
    fetch: opts.fetch,
    shell: 'host',
    initialFolder: opts.initialFolder,
  });
  const handlers = createHandlers(services.ports);

  const call = async <T = unknown>(channel: string, payload: unknown = {}): Promise<T> => {
    const answer = await dispatch(handlers, channel, payload);
    if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.message}`);
    return answer.value as T;
  };
  const until = async (condition: () => boolean): Promise<void> => {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  const lastProgress = (jobId: string) =>
    events.filter((e) => e.event === 'jobProgress' && (e.payload as JobProgress).jobId === jobId).at(-1)?.payload as JobProgress | undefined;

  return {
    services,
    answers,
    handlers,
    events,
    call,
    until,
    async open(folder) {
      // As if the person had chosen it in the folder dialog: openFolder opens only chosen folders.
      services.ports.folders.choose(folder);
      const info = await call<FolderInfo>('openFolder', { path: folder });
      await until(() => events.some((e) => e.event === 'scanDone'));
      return info.folderId;
    },
    async finished(jobId) {
      await until(() => terminal.includes(lastProgress(jobId)?.state ?? 'running'));
      return lastProgress(jobId)!;
    },
    close: () => services.close(),
  };
}

let reports = 0;

/** The evaluation report main writes for `request` (threshold 0.5 unless given) where its scripted
 *  save dialog answers, a new file in `dir`, read back: main's metrics, as `exportEvaluation` makes
 *  them (the window computes its own from the ground truth it asks for). */
export async function evaluationReport(app: App, dir: string, request: Record<string, unknown>): Promise<EvalReport> {
  app.answers.exportPath = path.join(dir, `report-${++reports}.json`);
  const done = await app.call<{ path: string }>('exportEvaluation', { kind: 'report', threshold: 0.5, ...request });
  return JSON.parse(await readFile(done.path, 'utf8')) as EvalReport;
}
