import type { AppError } from './errors';
import type { ExportFormat } from './export-formats';
import type { IdList } from './front-coded';

// Domain types shared by main and the renderer. Data that crosses a trust boundary is checked by the
// schemas in contract.ts (IPC) and roboflow.ts (HTTP); these are the shapes after that check.

/** Image file extensions the library recognises (case-insensitive). */
export const imageExtensions = ['jpg', 'jpeg', 'png', 'webp', 'bmp', 'gif', 'tif', 'tiff'] as const;

/** An image as the page lists it: its id and file name. `id` is its relative POSIX path: stable
 *  across restarts. */
export interface ListedImage {
  id: string;
  name: string;
}

/** What the file system says of an image now (main reads it when asked: the page's listing holds
 *  ids only). */
export interface ImageFacts {
  size: number;
  mtimeMs: number;
}

/** One image in an opened folder, as main keeps it. */
export interface ImageEntry extends ListedImage, ImageFacts {}

export interface ScanProblem {
  /** Relative path of the file or folder that could not be read. */
  path: string;
  code: 'unreadable_file' | 'unreadable_folder' | 'symlink_loop';
  message: string;
}

export interface FolderInfo {
  /** Stable key of the folder: a hash of its real absolute path. */
  folderId: string;
  root: string;
  name: string;
  recursive: boolean;
}

/** Images found by a scan: their ids only (sizes and dates are asked for one image at a time,
 *  `imageFacts`; at 250,000 images they were half of the bytes a listing sent the page). */
export interface ScanBatch {
  folderId: string;
  /** Relative POSIX paths (image ids), in scan order; front-coded when that is much shorter (idsOf reads either). */
  ids: IdList;
  /** True when the folder's entries, from its first batch through this one, are in natural name
   *  order (a cached listing): the page then needs no sort to list them by name. */
  sorted?: boolean;
  /** True on the listing's last batch: no ids follow, so the page lists it now (the scan may
   *  still be reading sizes for main before its `scanDone`). */
  complete?: boolean;
}

export interface ScanDone {
  folderId: string;
  total: number;
  problems: ScanProblem[];
  ms: number;
  cancelled: boolean;
  /** True when the entries came from the folder's cached listing (no folder changed since). */
  cached?: boolean;
}

/** What the client actually uploaded for one image. */
export interface SentInfo {
  width: number;
  height: number;
  bytes: number;
  resized: boolean;
  reencoded: boolean;
  /** The image's own size (EXIF-oriented) before downscaling; absent in older records. */
  original?: { width: number; height: number };
  /** The first upload the server refused as too large (413) before this smaller one went out. */
  refused?: { width: number; height: number; bytes: number };
}

export type ResultStatus = 'done' | 'error';

/** One stored outcome for one image under one endpoint + model. */
export interface ResultRecord {
  /** Relative path (the image id). An https URL for web images. */
  id: string;
  size: number;
  mtimeMs: number;
  status: ResultStatus;
  /** The Roboflow response exactly as received (JSON object). */
  response?: Record<string, unknown>;
  error?: AppError;
  sent?: SentInfo;
  startedAt: string;
  finishedAt: string;
}

/** A compact, renderer-ready view of one result (no raw response). */
export interface ResultSummary {
  id: string;
  status: ResultStatus;
  stale: boolean;
  multiLabel: boolean;
  /** Every class score received, sorted by confidence descending. */
  scores: Array<[className: string, confidence: number]>;
  error?: AppError;
}

export type JobState = 'queued' | 'running' | 'paused' | 'done' | 'cancelled' | 'stopped';

export interface JobProgress {
  jobId: string;
  folderId: string;
  model: string;
  state: JobState;
  total: number;
  done: number;
  failed: number;
  skipped: number;
  inFlight: number;
  /** Images per second over the recent window. */
  rate: number;
  /** Seconds left, or null when unknown. */
  etaSeconds: number | null;
  /** Why a job stopped (systemic error), when state is 'stopped'. */
  error?: AppError;
  /** True for a job of pasted web images (classifyUrls), which runs beside the folder's run. */
  web?: boolean;
  /** True for a run of the comparison model (startJob with `model`), which runs beside the folder's run. */
  compare?: boolean;
}

/** Live per-image state pushed while a job runs. */
export interface JobItemEvent {
  jobId: string;
  folderId: string;
  id: string;
  state: 'running' | 'done' | 'error';
  result?: ResultSummary;
  /** True when the result belongs to the comparison model, not the current one. */
  compare?: boolean;
}

export type KeyBackend = 'keychain' | 'session' | 'unavailable';

export interface CredentialStatus {
  profile: string;
  hasKey: boolean;
  last4?: string;
  workspace?: string;
  backend: KeyBackend;
  /** Why the keychain is unavailable, with the remedy. */
  problem?: string;
}

export interface AppInfo {
  version: string;
  platform: string;
  dataDir: string;
  /** 'electron' in the app, 'host' in the browser test host. */
  shell: 'electron' | 'host';
}

/** The results export formats: one table, app/export-formats.ts. */
export type { ExportFormat };

export interface ExportDone {
  path: string;
  count: number;
  /** 'html': the evaluation's HTML report. */
  format: ExportFormat | 'html';
  /** Folder exports: each image that got no file, and why (never a silent gap). */
  skipped?: ExportSkip[];
}

export interface ExportSkip {
  id: string;
  code: string;
  message: string;
}

/** A classification project of the key's workspace, for the model picker. */
export interface ModelProject {
  /** The URL slug: the first half of a model id (`slug/version`). */
  id: string;
  name: string;
  /** classification or multi-label-classification. */
  type: string;
  /** How many versions the project has (trained or not). */
  versions: number;
}

/** One version of a project; only trained ones can classify. */
export interface ModelVersion {
  /** `workspace/project/N` as Roboflow names it. */
  id: string;
  version: number;
  /** The model id to put in Settings: `project/N`. */
  model: string;
  trained: boolean;
}

/** Whether the inference endpoint answered a probe (any HTTP status counts as reachable). */
export interface EndpointStatus {
  reachable: boolean;
  /** ISO time of the probe or of the job outcome that told. */
  checkedAt: string;
  /** The endpoint base URL that was probed (never carries a key). */
  endpoint: string;
  error?: AppError;
}

/** What "Check key" in Settings found: which server accepted the key (never the key itself). */
export interface KeyCheck {
  /** The platform API (workspace lookup) or the inference server itself (self-hosted). */
  server: 'platform' | 'inference';
  /** The origin that was asked. */
  endpoint: string;
  workspace?: string;
}
