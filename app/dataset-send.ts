import type { AppError } from './errors';

// Sending reviewed images and their labels back to a Roboflow project (the app's dialog, main's
// service and `classify-desk send` share these shapes and rules).

/** Which images to send: one-click presets over the folder (or the given ids). */
export const sendPresets = ['corrected', 'flagged', 'mistakes', 'below-threshold', 'all'] as const;
export type SendPreset = (typeof sendPresets)[number];

/** The lowest label source allowed: a correction always wins, then the folder / CSV truth, then
 *  (only when asked) the model's prediction. */
export const labelSources = ['corrections', 'truth', 'predictions'] as const;
export type LabelSource = (typeof labelSources)[number];

/** Where one image's label came from. */
export type LabelOrigin = 'correction' | 'truth' | 'prediction';

export const splits = ['train', 'valid', 'test'] as const;
export type Split = (typeof splits)[number];

/** Roboflow's tag alphabet: 1–64 of a-zA-Z0-9, space and - _ : . [ ] < > { } @ (no '/'). */
export const tagPattern = /^[a-zA-Z0-9 \-_:.[\]<>{}@]{1,64}$/;

/** Why a tag is refused, or null when Roboflow accepts it. */
export function tagProblem(tag: string): string | null {
  if (tag.length === 0) return 'A tag cannot be empty.';
  if (tag.length > 64) return `The tag "${tag.slice(0, 20)}…" is longer than 64 characters.`;
  if (!tagPattern.test(tag)) return `The tag "${tag}" may only hold letters, digits, spaces and - _ : . [ ] < > { } @ (no "/").`;
  return null;
}

/** The default batch name: "Classify Desk 2026-11-27". */
export function defaultBatchName(now: Date): string {
  return `Classify Desk ${now.toISOString().slice(0, 10)}`;
}

/** The default tag of a model id: `colors/3` -> `colors-3` ('/' is not allowed in tags). */
export function modelTag(model: string): string {
  return model.replace(/\//g, '-').replace(/[^a-zA-Z0-9 \-_:.[\]<>{}@]/g, '-').slice(0, 64);
}

export interface SendRequest {
  folderId: string;
  /** The project slug (the first half of a model id). */
  project: string;
  only: SendPreset;
  /** Restrict to these images (the selection or the current filter); all images when absent. */
  ids?: string[];
  labels: LabelSource;
  split: Split;
  batch: string;
  tags: string[];
  /** The model whose results give predictions, mistakes and below-threshold (default the current one). */
  model?: string;
  threshold?: number;
  /** A labels CSV as ground truth instead of the folder names. */
  labelsPath?: string;
  /** What to do with labels the project lacks, by label: a project class, or null to skip the
   *  images carrying it. */
  classMap?: Record<string, string | null>;
  /** Only images carrying this tag of the person's (tags and notes), on top of `only`. */
  tag?: string;
  /** Send each image's own tags as Roboflow upload tags too (those Roboflow's alphabet allows). */
  imageTags?: boolean;
}

export interface SendItemPlan {
  id: string;
  labels: string[];
  origin: LabelOrigin;
  /** The image's own tags sent with it (imageTags), besides the request's tags. */
  tags?: string[];
}

export interface UnknownLabel {
  label: string;
  count: number;
}

/** What a send would do, before it does it (the dialog's counts, `--dry-run`). */
export interface SendPlan {
  project: string;
  workspace: string | null;
  /** Images that would be sent, with the label each gets (after classMap). */
  items: SendItemPlan[];
  byOrigin: Record<LabelOrigin, number>;
  /** Images of the preset with no label from the chosen sources: never sent. */
  noLabel: number;
  /** Images already sent with the same label (and file unchanged): skipped. */
  alreadySent: number;
  /** Images left out because classMap skips their label. */
  skippedByMap: number;
  /** Labels that are not classes of the project (and not mapped yet). */
  unknown: UnknownLabel[];
  /** The project's classes (null when the project could not be checked). */
  classes: string[] | null;
  /** Why the project cannot take these images (missing, not classification, wrong kind). */
  problem: AppError | null;
}

export type SendState = 'running' | 'paused' | 'done' | 'cancelled' | 'stopped';

export interface SendProgress {
  sendId: string;
  folderId: string;
  project: string;
  state: SendState;
  total: number;
  /** Uploaded (or found as duplicates) and labelled. */
  done: number;
  failed: number;
  /** Already sent before (journal): nothing to do. */
  skipped: number;
  /** Of `done`: uploads the project already held (their label was still set). */
  duplicates: number;
  /** Of `done`: predictions not set because the project already had a label (409). */
  kept: number;
  inFlight: number;
  error?: AppError;
  /** Per-image failures so far (capped), with their codes. */
  failures: Array<{ id: string; error: AppError }>;
}

/** What the app shows on a tile / in the detail view for an image already sent. */
export interface SentMark {
  id: string;
  project: string;
  batch: string;
  split: Split;
  labels: string[] | null;
  at: string;
}
