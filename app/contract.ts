import { z } from 'zod';
import { engines, type DownloadedModel, type ModelDownloadProgress } from './model-ref';
import { endpointKinds, labelMappingSchema, modelIdPattern, settingsPatchSchema, type Settings } from './settings';
import type {
  AppInfo,
  CredentialStatus,
  EndpointStatus,
  ExportDone,
  FolderInfo,
  ImageFacts,
  JobItemEvent,
  KeyCheck,
  JobProgress,
  ModelProject,
  ModelVersion,
  ResultRecord,
  ResultSummary,
  ScanBatch,
  ScanDone,
  ScanProblem,
} from './types';
import type { AppError } from './errors';
import type { ResultColumns } from './result-columns';
import type { IdList } from './front-coded';
import type { CorrectionsChange, CorrectionsSnapshot } from './corrections';
import type { FolderGroundTruth } from './eval-report';
import { labelSources, sendPresets, splits, type SendPlan, type SendProgress, type SentMark } from './dataset-send';
import { isHttpsImageUrl } from './web-url';
import { evaluationExportKinds, exportFormatIds } from './export-formats';
import { maxTagsPerImage, normaliseTag, noteProblem, tagTextProblem } from './annotations';
import { channelNames as listedChannels, eventNames as listedEvents, ipcName, type ChannelName, type EventName as ListedEventName } from './ipc-names';

// The IPC contract: every channel the renderer may invoke (name -> request schema -> response
// type) and every event main pushes. The preload and the browser host both derive `window.api`
// from this table, and main validates every payload against it before any service runs.

/** Declares a channel: `channel<Response>()(requestSchema)`, so the request type is inferred. */
function channel<Res>() {
  return <Req extends z.ZodType>(request: Req) => ({ request, response: undefined as unknown as Res });
}

const empty = z.object({}).strict();
const folderId = z.string().regex(/^[0-9a-f]{16}$/);
const imageId = z.string().min(1).max(4096);
const imageIds = z.array(imageId).max(1_000_000);
const jobRef = z.object({ jobId: z.string().min(1).max(64) }).strict();
const imageRef = z.object({ folderId, id: imageId }).strict();
const exportFormat = z.enum(exportFormatIds);
const webImageUrl = z
  .string()
  .trim()
  .max(2048, 'That image URL is too long (2048 characters at most).')
  .refine(isHttpsImageUrl, { error: (issue) => `"${String(issue.input).slice(0, 100)}" is not an https image URL: paste an address that starts with https://` });
/** Another model than the current one (model comparison): project/version. */
const modelId = z.string().max(200).regex(modelIdPattern, 'A model is project/version, for example cats-vs-dogs/3');
/** The engine of that model, when it is not the settings' (comparing the API with this computer). */
const engine = z.enum(engines);
const projectSlug = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'A project id is letters, digits, ".", "_" or "-"').max(128);
/** Whose ground truth: the folder, folder names (mapped) or a labels CSV, and the model whose
 *  classes the names are matched to. */
const groundTruthRequest = {
  folderId,
  labelsPath: z.string().min(1).max(4096).optional(),
  mapping: labelMappingSchema.optional(),
  model: modelId.optional(),
  engine: engine.optional(),
};
const evaluationRequest = {
  ...groundTruthRequest,
  threshold: z.number().min(0).max(1).optional(),
  /** Per-class threshold overrides; absent = the ones saved for the folder and model. */
  classThresholds: z.record(z.string().max(256), z.number().min(0).max(1)).optional(),
};

/** Tags and notes: the same rules as the journal (app/annotations.ts). */
const tagText = z
  .string()
  .transform(normaliseTag)
  .superRefine((tag, ctx) => {
    const problem = tagTextProblem(tag);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const tagList = z.array(tagText).max(maxTagsPerImage);
const noteText = z
  .string()
  .transform((note) => note.trim())
  .superRefine((note, ctx) => {
    const problem = noteProblem(note);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const sendRequest = z
  .object({
    folderId,
    project: projectSlug,
    only: z.enum(sendPresets),
    ids: imageIds.optional(),
    labels: z.enum(labelSources),
    split: z.enum(splits),
    batch: z.string().trim().min(1).max(255),
    tags: z.array(z.string().max(64)).max(32),
    model: modelId.optional(),
    threshold: z.number().min(0).max(1).optional(),
    labelsPath: z.string().min(1).max(4096).optional(),
    classMap: z.record(z.string().max(256), z.string().min(1).max(256).nullable()).optional(),
    tag: tagText.optional(),
    imageTags: z.boolean().optional(),
  })
  .strict();
const sendRef = z.object({ sendId: z.string().min(1).max(64) }).strict();

export const contract = {
  appInfo: channel<AppInfo>()(empty),

  /** Shows the OS folder dialog; null when the user cancels. */
  pickFolder: channel<string | null>()(empty),
  /** Shows the OS file dialog for a labels CSV; null when the user cancels. Main remembers the
   *  file chosen: `evaluation` / `exportEvaluation` read a labelsPath only if it came from here. */
  pickLabelsCsv: channel<string | null>()(empty),
  /** Opens (and starts scanning) a folder; entries arrive as `scanBatch` events. */
  openFolder: channel<FolderInfo>()(
    z.object({ path: z.string().min(1).max(4096), recursive: z.boolean().optional() }).strict(),
  ),
  /** The folder to open at start (command line, host argument or last session), if any. */
  initialFolder: channel<string | null>()(empty),
  recentFolders: channel<string[]>()(empty),
  /** Why a thumbnail failed, for the error tile. */
  thumbnailError: channel<AppError | null>()(imageRef),

  getSettings: channel<Settings>()(empty),
  setSettings: channel<Settings>()(settingsPatchSchema),

  /** Starts classifying the folder's images not yet classified by the current model (or by `model`,
   *  the comparison model: its job runs beside the folder's run and its events carry `compare`). */
  startJob: channel<JobProgress>()(
    z
      .object({ folderId, ids: imageIds.optional(), force: z.boolean().optional(), failedOnly: z.boolean().optional(), model: modelId.optional(), engine: engine.optional() })
      .strict(),
  ),
  pauseJob: channel<JobProgress | null>()(jobRef),
  resumeJob: channel<JobProgress | null>()(jobRef),
  cancelJob: channel<JobProgress | null>()(jobRef),

  /** Results of the open folder for the current endpoint + model (or `model`), paged. */
  resultsPage: channel<{ total: number; items: ResultSummary[] }>()(
    z.object({ folderId, offset: z.number().int().min(0), limit: z.number().int().min(1).max(10_000), model: modelId.optional(), engine: engine.optional() }).strict(),
  ),
  /** The same pages as `resultsPage`, packed as columns (app/result-columns.ts): what the page reads
   *  a folder's stored results with, since 250,000 summary objects cost seconds and ~100 MB. */
  resultsColumns: channel<ResultColumns>()(
    z.object({ folderId, offset: z.number().int().min(0), limit: z.number().int().min(1).max(50_000), model: modelId.optional(), engine: engine.optional() }).strict(),
  ),
  /** The ids of the stored results (of `model` when given) whose file changed since it was
   *  classified, judged now: asked again after `identitiesRead`, since results sent before main had
   *  read every file's size and mtime were judged without them. */
  staleResults: channel<IdList>()(z.object({ folderId, model: modelId.optional(), engine: engine.optional() }).strict()),
  /** One full record, raw response included, for the detail view (of `model` when given). */
  resultDetail: channel<ResultRecord | null>()(imageRef.extend({ model: modelId.optional(), engine: engine.optional() }).strict()),

  /** Writes an export where the person chooses in main's own dialog (the host scripts it host-side);
   *  the page never names the target. */
  exportResults: channel<ExportDone | null>()(z.object({ folderId, format: exportFormat, ids: imageIds.optional(), keepSubfolders: z.boolean().optional() }).strict()),
  /** Stops the exports in progress (nothing partial is left behind); false when none was running. */
  cancelExport: channel<boolean>()(empty),

  credentialStatus: channel<CredentialStatus>()(empty),
  /** Write-only: the key goes in, only its status comes back. */
  setApiKey: channel<CredentialStatus>()(
    z.object({ key: z.string().trim().min(8).max(256), sessionOnly: z.boolean().optional() }).strict(),
  ),
  deleteApiKey: channel<CredentialStatus>()(empty),
  checkApiKey: channel<CredentialStatus>()(empty),
  /** Profile names that hold a key (plus the current one), for the profile selector; never keys. */
  apiKeyProfiles: channel<string[]>()(empty),

  /** The classification projects of the key's workspace (checks the key first if needed). */
  listProjects: channel<ModelProject[]>()(empty),
  /** A project's versions, newest first; pick a `trained` one's `model` for Settings. */
  listVersions: channel<ModelVersion[]>()(z.object({ project: projectSlug }).strict()),

  /** Classifies https image URLs (hosted-image route) for the folder's "Web images" list; results
   *  are stored under the URL as id, and arrive as `jobItem` events of the returned job. */
  classifyUrls: channel<JobProgress>()(
    z
      .object({ folderId, urls: z.array(webImageUrl).min(1).max(100, 'Paste at most 100 image URLs at a time.'), force: z.boolean().optional() })
      .strict(),
  ),
  /** Every web image result of the folder under the current endpoint + model, oldest first. */
  webImages: channel<ResultSummary[]>()(z.object({ folderId }).strict()),
  /** Probes the endpoint (no key sent, short timeout): any HTTP answer means reachable. */
  endpointStatus: channel<EndpointStatus>()(empty),

  /** Every correction of the folder (label, reviewed, flagged) and whether undo/redo are possible. */
  corrections: channel<CorrectionsSnapshot>()(z.object({ folderId }).strict()),
  /** One undoable step: the same patch on every given image; `label: null` removes the label. */
  setCorrection: channel<CorrectionsChange>()(
    z
      .object({
        folderId,
        ids: z.array(imageId).min(1).max(100_000),
        label: z.string().trim().min(1).max(256).nullable().optional(),
        reviewed: z.boolean().optional(),
        flagged: z.boolean().optional(),
        addTags: tagList.optional(),
        removeTags: tagList.optional(),
        note: noteText.nullable().optional(),
      })
      .strict(),
  ),
  undoCorrection: channel<CorrectionsChange>()(z.object({ folderId }).strict()),
  redoCorrection: channel<CorrectionsChange>()(z.object({ folderId }).strict()),
  /** The folder's ground truth (folder names or a labels CSV) for the current model's (or
   *  `model`'s) classes, before corrections: the window computes the metrics from it. */
  groundTruth: channel<FolderGroundTruth>()(z.object(groundTruthRequest).strict()),
  /** Remembers the folder's ground-truth name mapping, for evaluations (and `classify-desk evaluate`)
   *  that bring none; {} forgets it. Answers the mapping as stored. */
  setGroundTruthMapping: channel<Record<string, string | null>>()(z.object({ folderId, mapping: labelMappingSchema }).strict()),
  /** Writes the evaluation report (JSON + confusion CSV beside it), or the dataset labels (correction,
   *  else ground truth, else prediction) as a path,label CSV or a folder-per-class copy. */
  exportEvaluation: channel<ExportDone | null>()(
    z
      .object({
        ...evaluationRequest,
        kind: z.enum(evaluationExportKinds),
        /** Labels exports: leave out images whose only label is the model's prediction. */
        onlyConfirmed: z.boolean().optional(),
        /** Labels as class folders: mirror sub-folders under each class (default true). */
        keepSubfolders: z.boolean().optional(),
      })
      .strict(),
  ),
  /** "Check key" in Settings, before Save: checks the typed key (write-only, never answered back;
   *  absent = the stored key) against the endpoint being configured (a self-hosted server itself,
   *  else the platform API). Stores nothing. */
  checkKeyDraft: channel<KeyCheck>()(
    z
      .object({
        key: z.string().trim().min(8).max(256).optional(),
        endpointKind: z.enum(endpointKinds).optional(),
        endpointUrl: z.string().trim().max(2048).optional(),
        model: z.string().trim().max(200).optional(),
      })
      .strict(),
  ),

  /** What sending to a Roboflow project would do: the images, their labels and where each came
   *  from, the project check (kind, classes, labels it lacks). Reads the key; sends no image. */
  sendPlan: channel<SendPlan>()(sendRequest),
  /** Sends images and labels to the project; progress arrives as `sendProgress` events. */
  startSend: channel<SendProgress>()(sendRequest),
  pauseSend: channel<SendProgress | null>()(sendRef),
  resumeSend: channel<SendProgress | null>()(sendRef),
  cancelSend: channel<SendProgress | null>()(sendRef),
  /** The folder's images already sent to a Roboflow project (latest send per image). */
  sentMarks: channel<SentMark[]>()(z.object({ folderId }).strict()),

  /** Models downloaded for use on this computer (engine "On this computer"). */
  downloadedModels: channel<DownloadedModel[]>()(empty),
  /** Downloads a model for use on this computer from the platform API of Settings (the key passes
   *  the origin gate); progress arrives as `modelDownload` events. */
  downloadModel: channel<DownloadedModel>()(z.object({ model: modelId }).strict()),
  /** Stops the download of `model` (or every download); false when none was running. */
  cancelModelDownload: channel<boolean>()(z.object({ model: modelId.optional() }).strict()),
  /** Deletes a downloaded model; false when it was not downloaded. */
  removeModel: channel<boolean>()(z.object({ model: modelId }).strict()),
  /** Opens the folder main chose to open at start (`initialFolder`), as `openFolder` would, in one
   *  round trip the page makes before it mounts; null when there is none. The page names no path. */
  openStartFolder: channel<FolderInfo | null>()(empty),
  /** The size and modification time of one image of an open folder, read now (the details show
   *  them; the listing carries ids only). */
  imageFacts: channel<ImageFacts>()(imageRef),
} as const;

export type Contract = typeof contract;
export type Channel = keyof Contract;
export type RequestOf<C extends Channel> = z.input<Contract[C]['request']>;
export type ParsedRequestOf<C extends Channel> = z.output<Contract[C]['request']>;
export type ResponseOf<C extends Channel> = Contract[C]['response'];

/** The application menu's commands the renderer carries out (main/menu.ts has an item for each). */
export const menuCommands = ['settings', 'export', 'shortcuts'] as const;
export type MenuCommand = (typeof menuCommands)[number];

/** Events main pushes to the renderer. */
export interface Events {
  scanBatch: ScanBatch;
  scanDone: ScanDone;
  scanProblem: ScanProblem & { folderId: string };
  /** Main has read every listed file's size and mtime (after a scan's listing, or the background
   *  re-check of a cached one): stale results can be told from now on (`staleResults`). */
  identitiesRead: { folderId: string };
  jobProgress: JobProgress;
  jobItem: JobItemEvent;
  /** A folder was asked for from outside the renderer (menu, command line, second instance). */
  openFolderRequest: { path: string };
  /** A menu item the renderer handles (e.g. open settings). */
  menuCommand: { command: MenuCommand };
  /** The endpoint became unreachable during a job (or reachable again after that). */
  endpointStatus: EndpointStatus;
  /** An export started from the window wrote `done` of `total` images (throttled; the last one always comes). */
  exportProgress: { done: number; total: number; path: string };
  /** A send to a Roboflow project moved on (or ended). */
  sendProgress: SendProgress;
  /** A download for use on this computer moved on (or ended). */
  modelDownload: ModelDownloadProgress;
}
export type EventName = keyof Events;

// The plain name lists (app/ipc-names.ts) must be exactly the channels and events above.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _channelsMatch: Same<Channel, ChannelName> = true;
const _eventsMatch: Same<EventName, ListedEventName> = true;
void _channelsMatch;
void _eventsMatch;

export const channelNames: readonly Channel[] = listedChannels;
export const eventNames: readonly EventName[] = listedEvents;
export { ipcName };

/** The shape of `window.api`, identical in the Electron preload and the browser host. */
export type Api = {
  [C in Channel]: (request: RequestOf<C>) => Promise<ResponseOf<C>>;
} & {
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
  /** Records a dropped file or folder as the person's choice (its path read by the shell, never
   *  given by the page) and answers that path ('' where the shell cannot tell). */
  chooseDropped(file: { readonly name: string }): Promise<string>;
};

/** Wire form of a handler's answer: errors travel as data so their code survives IPC. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: AppError };
