import { contract, type Channel, type Envelope, type ParsedRequestOf, type ResponseOf } from '../app/contract';
import { AppFailure, isAppError, type AppError } from '../app/errors';
import { evaluationExports, exportFormats, type ExportTarget } from '../app/export-formats';
import { codeIds } from '../app/front-coded';
import type { Ports } from './ports';
import { redactSecrets } from './services/redact';

// The handler table: channel -> (services, validated payload) -> result. No transport lives here:
// main/index.ts (Electron IPC) and test/host (HTTP) both call `dispatch`, after checking the sender.

type Handler<C extends Channel> = (request: ParsedRequestOf<C>) => Promise<ResponseOf<C>> | ResponseOf<C>;
export type Handlers = { [C in Channel]: Handler<C> };

export function createHandlers(ports: Ports): Handlers {
  /** Where an export goes: always main's own dialog (the host scripts its answers host-side), so
   *  a compromised page cannot write files anywhere. */
  const exportTarget = (target: ExportTarget, suggested: () => string) => ports.dialogs.pickExportPath(target, suggested());

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
    openStartFolder: async () => {
      // Main's own choice (command line, last session): the gate holds it as chosen.
      const path = ports.initialFolder();
      if (!path || !ports.folders.isChosen(path)) return null;
      const info = await ports.library.open(path, ports.settings.get().recursive);
      ports.settings.rememberFolder(info.root);
      return info;
    },
    recentFolders: () => ports.settings.get().recentFolders,
    imageFacts: ({ folderId, id }) => ports.library.facts(folderId, id),
    thumbnailError: ({ folderId, id }) => ports.thumbnails.errorFor(folderId, id),
    getSettings: () => ports.settings.get(),
    setSettings: (patch) => ports.settings.update(patch),
    startJob: (request) => ports.jobs.start(request),
    pauseJob: ({ jobId }) => ports.jobs.pause(jobId),
    resumeJob: ({ jobId }) => ports.jobs.resume(jobId),
    cancelJob: ({ jobId }) => ports.jobs.cancel(jobId),
    resultsPage: ({ folderId, offset, limit, model, engine }) => ports.results.page(folderId, offset, limit, { model, engine }),
    resultDetail: ({ folderId, id, model, engine }) => ports.results.detail(folderId, id, { model, engine }),
    exportResults: async ({ folderId, format, ids, keepSubfolders }) => {
      const target = await exportTarget(exportFormats[format].target, () => ports.exporter.suggestedName(folderId, format));
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
    groundTruth: (request) => ports.evaluation.groundTruth(chosenLabels(request)),
    setGroundTruthMapping: ({ folderId, mapping }) => ports.settings.rememberMapping(folderId, mapping),
    exportEvaluation: async ({ kind, ...request }) => {
      chosenLabels(request);
      const target = await exportTarget(evaluationExports[kind].target, () => ports.evaluation.suggestedName(request.folderId, kind));
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
    resultsColumns: ({ folderId, offset, limit, model, engine }) => ports.results.columns(folderId, offset, limit, { model, engine }),
    staleResults: async ({ folderId, model, engine }) => codeIds(await ports.results.staleIds(folderId, { model, engine })),
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
    return { ok: false, error: toRedactedAppError(error) };
  }
}

/** Turns anything a handler threw into an AppError whose message carries no secret (the renderer's
 *  `toAppError` only shapes what a call rejected with, already redacted here). */
export function toRedactedAppError(error: unknown): AppError {
  if (error instanceof AppFailure) return { code: error.code, message: redactSecrets(error.message) };
  if (isAppError(error)) return { code: error.code, message: redactSecrets(error.message) };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `Something went wrong: ${redactSecrets(message)}` };
}
