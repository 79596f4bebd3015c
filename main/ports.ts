import type { Channel, Events, EventName, ParsedRequestOf } from '../app/contract';
import type { AppError } from '../app/errors';
import type { EvaluationExportKind, ExportFormat, ExportTarget } from '../app/export-formats';
import type { Settings } from '../app/settings';
import type {
  AppInfo,
  CredentialStatus,
  EndpointStatus,
  ExportDone,
  FolderInfo,
  ImageFacts,
  JobProgress,
  KeyCheck,
  ModelProject,
  ModelVersion,
  ResultRecord,
  ResultSummary,
} from '../app/types';
import type { CorrectionsChange, CorrectionsSnapshot } from '../app/corrections';
import type { FolderGroundTruth } from '../app/eval-report';
import type { SendPlan, SendProgress, SentMark } from '../app/dataset-send';
import type { DownloadedModel, ModelSelection } from '../app/model-ref';
import type { ResultColumns } from '../app/result-columns';

// The seam between the handler table and the services: `Ports` is what the handlers call, `Emit`
// how services push events. Object-shaped requests are the contract's parsed request types, so a
// field added to a channel's schema reaches the service's signature without being written twice.

/** A channel's request after its schema has parsed it. */
type Req<C extends Channel> = ParsedRequestOf<C>;

export type Emit = <E extends EventName>(event: E, payload: Events[E]) => void;

/** What the handlers need from the services; each service implements its part. */
export interface Ports {
  info: AppInfo;
  settings: {
    get(): Settings;
    update(patch: Req<'setSettings'>): Settings;
    rememberFolder(path: string): void;
    rememberMapping(folderId: string, mapping: Req<'setGroundTruthMapping'>['mapping']): Record<string, string | null>;
    rememberChosenFile(path: string): void;
    isChosenFile(path: string): boolean;
  };
  library: {
    open(path: string, recursive: boolean): Promise<FolderInfo>;
    /** Size and mtime of an image of an open folder, read through the folder gate. */
    facts(folderId: string, id: string): Promise<ImageFacts>;
  };
  thumbnails: {
    errorFor(folderId: string, id: string): AppError | null;
  };
  dialogs: {
    pickFolder(): Promise<string | null>;
    pickFile(kind: 'labels-csv'): Promise<string | null>;
    /** A save dialog for a file export, a folder dialog for a folder export. */
    pickExportPath(target: ExportTarget, suggestedName: string): Promise<string | null>;
    /** Asks whether the API key may be sent to `origin`, which it was not entered for (Electron's
     *  native dialog); absent in the host and tests, where such a request fails. */
    confirmKeySend?(origin: string): Promise<boolean>;
  };
  initialFolder(): string | null;
  jobs: {
    /** `model` / `engine` run another model or engine than the current ones (model comparison) over the folder. */
    start(request: Req<'startJob'>): Promise<JobProgress>;
    pause(jobId: string): JobProgress | null;
    resume(jobId: string): JobProgress | null;
    cancel(jobId: string): JobProgress | null;
  };
  results: {
    /** `model` defaults to the current one. */
    page(folderId: string, offset: number, limit: number, selection?: ModelSelection): Promise<{ total: number; items: ResultSummary[] }>;
    detail(folderId: string, id: string, selection?: ModelSelection): Promise<ResultRecord | null>;
    /** `page`, packed as columns. */
    columns(folderId: string, offset: number, limit: number, selection?: ModelSelection): Promise<ResultColumns>;
    /** The ids of the stored results whose file changed since, judged now. */
    staleIds(folderId: string, selection?: ModelSelection): Promise<string[]>;
  };
  exporter: {
    /** `path` is what main's export dialog answered. */
    export(request: Req<'exportResults'> & { path: string }): Promise<ExportDone>;
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
    checkDraft(draft: Req<'checkKeyDraft'>): Promise<KeyCheck>;
  };
  models: {
    projects(): Promise<ModelProject[]>;
    versions(project: string): Promise<ModelVersion[]>;
  };
  webImages: {
    classify(request: Req<'classifyUrls'>): Promise<JobProgress>;
    list(folderId: string): Promise<ResultSummary[]>;
  };
  endpoint: {
    check(): Promise<EndpointStatus>;
  };
  corrections: {
    list(folderId: string): Promise<CorrectionsSnapshot>;
    set(folderId: string, ids: readonly string[], patch: Omit<Req<'setCorrection'>, 'folderId' | 'ids'>): Promise<CorrectionsChange>;
    undo(folderId: string): Promise<CorrectionsChange>;
    redo(folderId: string): Promise<CorrectionsChange>;
  };
  evaluation: {
    groundTruth(request: Req<'groundTruth'>): Promise<FolderGroundTruth>;
    /** `path` is what main's export dialog answered. */
    export(request: Req<'exportEvaluation'> & { path: string }): Promise<ExportDone>;
    suggestedName(folderId: string, kind: EvaluationExportKind): string;
  };
  /** Sending images and labels to a Roboflow project (main/services/dataset-upload.ts). */
  send: {
    plan(request: Req<'sendPlan'>): Promise<SendPlan>;
    start(request: Req<'startSend'>): Promise<SendProgress>;
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
