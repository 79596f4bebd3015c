import { contract, type Channel, type Envelope, type Events, type EventName, type ParsedRequestOf, type ResponseOf } from '../app/contract';
import { AppFailure, isAppError, type AppError } from '../app/errors';
import type { Settings, SettingsPatch } from '../app/settings';
import type {
  AppInfo,
  CredentialStatus,
  EndpointStatus,
  ExportDone,
  ExportFormat,
  FolderInfo,
  JobProgress,
  KeyCheck,
  ModelProject,
  ModelVersion,
  ResultRecord,
  ResultSummary,
} from '../app/types';
import type { CorrectionPatch, CorrectionsChange, CorrectionsSnapshot } from '../app/corrections';
import type { DatasetExportOptions, EvaluationExportKind, EvaluationRequest, FolderEvaluation } from '../app/eval-report';
import type { SendPlan, SendProgress, SendRequest, SentMark } from '../app/dataset-send';
import type { DownloadedModel } from '../app/model-ref';
import { redactSecrets } from './services/redact';

// The handler table: channel -> (services, validated payload) -> result. No transport lives here:
// main/index.ts (Electron IPC) and test/host (HTTP) both call `dispatch`, after checking the sender.

export type Emit = <E extends EventName>(event: E, payload: Events[E]) => void;

/** What the handlers need from the services; each service implements its part. */
export interface Ports {
  info: AppInfo;
  settings: {
    get(): Settings;
    update(patch: SettingsPatch): Settings;
    rememberFolder(path: string): void;
    rememberMapping(folderId: string, mapping: Record<string, string | null>): Record<string, string | null>;
    rememberChosenFile(path: string): void;
    isChosenFile(path: string): boolean;
  };
  library: {
    open(path: string, recursive: boolean): Promise<FolderInfo>;
  };
  thumbnails: {
    errorFor(folderId: string, id: string): AppError | null;
  };
  dialogs: {
    pickFolder(): Promise<string | null>;
    pickFile(kind: 'labels-csv'): Promise<string | null>;
    pickExportPath(format: ExportFormat | 'html', suggestedName: string): Promise<string | null>;
    /** Asks whether the API key may be sent to `origin`, which it was not entered for (Electron's
     *  native dialog); absent in the host and tests, where such a request fails. */
    confirmKeySend?(origin: string): Promise<boolean>;
  };
  initialFolder(): string | null;
  jobs: {
    /** `model` runs another model than the current one (model comparison) over the folder. */
    start(request: { folderId: string; ids?: string[]; force?: boolean; failedOnly?: boolean; model?: string }): Promise<JobProgress>;
    pause(jobId: string): JobProgress | null;
    resume(jobId: string): JobProgress | null;
    cancel(jobId: string): JobProgress | null;
  };
  results: {
    /** `model` defaults to the current one. */
    page(folderId: string, offset: number, limit: number, model?: string): Promise<{ total: number; items: ResultSummary[] }>;
    detail(folderId: string, id: string, model?: string): Promise<ResultRecord | null>;
  };
  exporter: {
    export(request: { folderId: string; format: ExportFormat; ids?: string[]; path: string; keepSubfolders?: boolean }): Promise<ExportDone>;
    suggestedName(folderId: string, format: ExportFormat): string;
  };
  exportRuns: {
    /** Cancels the exports in progress; true when there was one. */
    cancel(): boolean;
  };
  credentials: {
    status(): Promise<CredentialStatus>;
    set(key: string, sessionOnly: boolean): Promise<CredentialStatus>;
    remove(): Promise<CredentialStatus>;
    check(): Promise<CredentialStatus>;
    listProfiles(): Promise<string[]>;
    /** Checks a draft key / endpoint from Settings before Save; stores nothing. */
    checkDraft(draft: ParsedRequestOf<'checkKeyDraft'>): Promise<KeyCheck>;
  };
  models: {
    projects(): Promise<ModelProject[]>;
    versions(project: string): Promise<ModelVersion[]>;
  };
  webImages: {
    classify(request: { folderId: string; urls: string[]; force?: boolean }): Promise<JobProgress>;
    list(folderId: string): Promise<ResultSummary[]>;
  };
  endpoint: {
    check(): Promise<EndpointStatus>;
  };
  corrections: {
    list(folderId: string): Promise<CorrectionsSnapshot>;
    set(folderId: string, ids: readonly string[], patch: CorrectionPatch): Promise<CorrectionsChange>;
    undo(folderId: string): Promise<CorrectionsChange>;
    redo(folderId: string): Promise<CorrectionsChange>;
  };
  evaluation: {
    evaluate(request: EvaluationRequest): Promise<FolderEvaluation>;
    export(request: EvaluationRequest & { kind: EvaluationExportKind; path: string } & DatasetExportOptions): Promise<ExportDone>;
    suggestedName(folderId: string, kind: EvaluationExportKind): string;
  };
  /** Sending images and labels to a Roboflow project (main/services/dataset-upload.ts). */
  send: {
    plan(request: SendRequest): Promise<SendPlan>;
    start(request: SendRequest): Promise<SendProgress>;
    pause(sendId: string): SendProgress | null;
    resume(sendId: string): SendProgress | null;
    cancel(sendId: string): SendProgress | null;
    marks(folderId: string): Promise<SentMark[]>;
  };
  /** The folders the person chose (main/services/chosen-folders.ts): the only ones openFolder opens. */
  folders: {
    choose(folder: string): void;
    isChosen(folder: string): boolean;
  };
  /** Models downloaded for use on this computer (main/services/on-device/app-engine.ts). */
  onDevice: {
    downloaded(): Promise<DownloadedModel[]>;
    download(model: string): Promise<DownloadedModel>;
    cancelDownload(model?: string): boolean;
    remove(model: string): Promise<boolean>;
  };
}

type Handler<C extends Channel> = (request: ParsedRequestOf<C>) => Promise<ResponseOf<C>> | ResponseOf<C>;
export type Handlers = { [C in Channel]: Handler<C> };

export function createHandlers(ports: Ports): Handlers {
  /** Where an export goes: always main's own dialog (the host scripts its answers host-side), so
   *  a compromised page cannot write files anywhere. */
  const exportTarget = (format: ExportFormat | 'html', suggested: () => string) => ports.dialogs.pickExportPath(format, suggested());

  /** A labels CSV is read only when the person chose it in main's file dialog: a page-given path
   *  could name any file, whose lines would come back as ground-truth problems. */
  const chosenLabels = <R extends { labelsPath?: string }>(request: R): R => {
    if (request.labelsPath !== undefined && !ports.settings.isChosenFile(request.labelsPath)) {
      throw new AppFailure('invalid_input', 'Choose the labels CSV with "Choose…" (the file dialog): Classify Desk reads only files you chose there.');
    }
    return request;
  };

  return {
    appInfo: () => ports.info,
    pickFolder: async () => {
      const chosen = await ports.dialogs.pickFolder();
      if (chosen) ports.folders.choose(chosen);
      return chosen;
    },
    pickLabelsCsv: async () => {
      const chosen = await ports.dialogs.pickFile('labels-csv');
      if (chosen) ports.settings.rememberChosenFile(chosen);
      return chosen;
    },
    openFolder: async ({ path, recursive }) => {
      // An open folder's images are served to the page: a page-named path could be any folder on disk.
      if (!ports.folders.isChosen(path)) {
        throw new AppFailure('invalid_input', 'Open the folder with "Open folder…", by dropping it on the window or from the recent folders: Classify Desk opens only folders you chose.');
      }
      const info = await ports.library.open(path, recursive ?? ports.settings.get().recursive);
      ports.settings.rememberFolder(info.root);
      return info;
    },
    initialFolder: () => ports.initialFolder(),
    recentFolders: () => ports.settings.get().recentFolders,
    thumbnailError: ({ folderId, id }) => ports.thumbnails.errorFor(folderId, id),
    getSettings: () => ports.settings.get(),
    setSettings: (patch) => ports.settings.update(patch),
    startJob: (request) => ports.jobs.start(request),
    pauseJob: ({ jobId }) => ports.jobs.pause(jobId),
    resumeJob: ({ jobId }) => ports.jobs.resume(jobId),
    cancelJob: ({ jobId }) => ports.jobs.cancel(jobId),
    resultsPage: ({ folderId, offset, limit, model }) => ports.results.page(folderId, offset, limit, model),
    resultDetail: ({ folderId, id, model }) => ports.results.detail(folderId, id, model),
    exportResults: async ({ folderId, format, ids, keepSubfolders }) => {
      const target = await exportTarget(format, () => ports.exporter.suggestedName(folderId, format));
      if (!target) return null;
      return ports.exporter.export({ folderId, format, ids, path: target, keepSubfolders });
    },
    cancelExport: () => ports.exportRuns.cancel(),
    credentialStatus: () => ports.credentials.status(),
    setApiKey: ({ key, sessionOnly }) => ports.credentials.set(key, sessionOnly ?? false),
    deleteApiKey: () => ports.credentials.remove(),
    checkApiKey: () => ports.credentials.check(),
    apiKeyProfiles: () => ports.credentials.listProfiles(),
    checkKeyDraft: (draft) => ports.credentials.checkDraft(draft),
    listProjects: () => ports.models.projects(),
    listVersions: ({ project }) => ports.models.versions(project),
    classifyUrls: (request) => ports.webImages.classify(request),
    webImages: ({ folderId }) => ports.webImages.list(folderId),
    endpointStatus: () => ports.endpoint.check(),
    corrections: ({ folderId }) => ports.corrections.list(folderId),
    setCorrection: ({ folderId, ids, ...patch }) => ports.corrections.set(folderId, ids, patch),
    undoCorrection: ({ folderId }) => ports.corrections.undo(folderId),
    redoCorrection: ({ folderId }) => ports.corrections.redo(folderId),
    evaluation: (request) => ports.evaluation.evaluate(chosenLabels(request)),
    setGroundTruthMapping: ({ folderId, mapping }) => ports.settings.rememberMapping(folderId, mapping),
    exportEvaluation: async ({ kind, ...request }) => {
      chosenLabels(request);
      const format = kind === 'report' ? 'json' : kind === 'report-html' ? 'html' : kind === 'labels-csv' ? 'csv' : 'class-folders';
      const target = await exportTarget(format, () => ports.evaluation.suggestedName(request.folderId, kind));
      if (!target) return null;
      return ports.evaluation.export({ ...request, kind, path: target });
    },
    sendPlan: (request) => ports.send.plan(request),
    startSend: (request) => ports.send.start(request),
    pauseSend: ({ sendId }) => ports.send.pause(sendId),
    resumeSend: ({ sendId }) => ports.send.resume(sendId),
    cancelSend: ({ sendId }) => ports.send.cancel(sendId),
    sentMarks: ({ folderId }) => ports.send.marks(folderId),
    downloadedModels: () => ports.onDevice.downloaded(),
    downloadModel: ({ model }) => ports.onDevice.download(model),
    cancelModelDownload: ({ model }) => ports.onDevice.cancelDownload(model),
    removeModel: ({ model }) => ports.onDevice.remove(model),
  };
}

/** True when `name` is a channel of the contract (guards against prototype keys). */
export function isChannel(name: string): name is Channel {
  return Object.prototype.hasOwnProperty.call(contract, name);
}

/**
 * Validates the payload against the contract and runs the handler. Never throws: failures come
 * back as `{ok: false, error}` with a code, and no secret ever reaches the message.
 */
export async function dispatch(handlers: Handlers, name: string, payload: unknown): Promise<Envelope<unknown>> {
  if (!isChannel(name)) return { ok: false, error: { code: 'invalid_input', message: `Unknown request "${name.slice(0, 64)}".` } };
  const parsed = contract[name].request.safeParse(payload ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` (${issue.path.join('.')})` : '';
    return { ok: false, error: { code: 'invalid_input', message: `Invalid request for ${name}${where}: ${issue?.message ?? 'bad payload'}.` } };
  }
  try {
    const handler = handlers[name] as (request: unknown) => unknown;
    return { ok: true, value: await handler(parsed.data) };
  } catch (error) {
    return { ok: false, error: toAppError(error) };
  }
}

/** Turns anything thrown into a redacted AppError. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppFailure) return { code: error.code, message: redactSecrets(error.message) };
  if (isAppError(error)) return { code: error.code, message: redactSecrets(error.message) };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `Something went wrong: ${redactSecrets(message)}` };
}
