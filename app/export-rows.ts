import { labelsAt, parseResponse, type NormalisedResponse } from './roboflow';
import type { ResultRecord } from './types';
import { formatPercentTenths } from './format';
import { uncertaintyOf } from './uncertainty';

// Pure builders for exports (format "classify-desk/v1"): the JSON document and its per-image
// objects, CSV rows, and annotation captions. Main's exporter and the renderer share them. Each
// image object keeps Roboflow's response fields as received and adds what the desktop knows;
// later features (review state, corrections) add their fields through `extra`.

export const exportFormat = 'classify-desk/v1';

export interface ExportModel {
  id: string;
  project: string;
  version: string;
}

/** Splits "project/version" into the export's model object. */
export function exportModel(model: string): ExportModel {
  const slash = model.lastIndexOf('/');
  return { id: model, project: slash > 0 ? model.slice(0, slash) : model, version: slash > 0 ? model.slice(slash + 1) : '' };
}

/** Review fields every image carries; the evaluation features fill them, null until then. */
export interface ReviewFields {
  reviewed_label: string | null;
  reviewed_at: string | null;
  flagged: boolean;
}

export const noReview: ReviewFields = { reviewed_label: null, reviewed_at: null, flagged: false };

export interface ExportImageInput {
  /** The image id: relative POSIX path, or an https URL for web images. */
  id: string;
  /** The path or URL the image was read from (Roboflow's SDK calls it image_path). */
  imagePath: string;
  record?: ResultRecord;
  stale?: boolean;
  review?: Partial<ReviewFields>;
  /** The threshold multi-label margins are measured against (0.5 when absent). */
  threshold?: number;
  /** Additional fields, added last (they cannot replace path, status or the response fields). */
  extra?: Record<string, unknown>;
}

export type ExportStatus = 'done' | 'error' | 'pending';

/** One image of the JSON export: path, status, Roboflow's fields verbatim, then ours. */
export function exportImage(input: ExportImageInput): Record<string, unknown> {
  const record = input.record;
  const status: ExportStatus = record ? record.status : 'pending';
  const out: Record<string, unknown> = { path: input.id, status };
  if (record?.status === 'done' && record.response) Object.assign(out, record.response);
  // Re-assigning keeps the keys first while making sure a server field cannot shadow ours.
  out.path = input.id;
  out.status = status;
  out.image_path = input.imagePath;
  out.prediction_type = 'ClassificationModel';
  out.error = record?.status === 'error' && record.error ? { code: record.error.code, message: record.error.message } : null;
  out.stale = input.stale ?? false;
  out.sent = record?.sent ?? null;
  out.classified_at = record?.finishedAt ?? null;
  Object.assign(out, noReview, input.review ?? {});
  Object.assign(out, uncertaintyFields(input.record, input.threshold ?? 0.5));
  for (const [key, value] of Object.entries(input.extra ?? {})) if (!(key in out)) out[key] = value;
  return out;
}

export interface ExportHeader {
  model: string;
  endpoint: string;
  threshold: number;
  created: string;
  folder: string;
}

/** The JSON export document around already-built image objects. */
export function exportDocument(header: ExportHeader, images: unknown[]): Record<string, unknown> {
  return {
    format: exportFormat,
    model: exportModel(header.model),
    endpoint: header.endpoint,
    threshold: header.threshold,
    created: header.created,
    folder: header.folder,
    images,
  };
}

/** The labels a record gets at a threshold, or null when it has no readable response. */
export function recordLabels(record: ResultRecord | undefined, threshold: number): (NormalisedResponse & { labels: string[]; best: [string, number] | null }) | null {
  if (!record || record.status !== 'done' || !record.response) return null;
  const parsed = parseResponse(record.response);
  if (!parsed.ok) return null;
  const labels = labelsAt(parsed.value, threshold);
  return { multiLabel: parsed.value.multiLabel, scores: parsed.value.scores, labels: labels.classes, best: labels.best };
}

/** Margin and entropy of a record (see app/uncertainty), null without readable scores. */
export function uncertaintyFields(record: ResultRecord | undefined, threshold: number): { margin: number | null; entropy: number | null } {
  const labels = recordLabels(record, threshold);
  const u = labels ? uncertaintyOf(labels.scores, labels.multiLabel, threshold) : null;
  return { margin: u?.margin ?? null, entropy: u?.entropy ?? null };
}

/** Quotes one CSV cell per RFC 4180, and defuses spreadsheet formulas (= + - @ tab CR first). */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = value;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line (CRLF-terminated, as RFC 4180 says). */
export function csvLine(cells: Array<string | number | null | undefined>): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

/** Every class name seen in the records, sorted, for the per-class score columns. */
export function csvClasses(records: Iterable<ResultRecord | undefined>): string[] {
  const seen = new Set<string>();
  for (const record of records) {
    if (record?.status !== 'done' || !record.response) continue;
    const parsed = parseResponse(record.response);
    if (parsed.ok) for (const [cls] of parsed.value.scores) seen.add(cls);
  }
  return [...seen].sort();
}

export const csvFixedColumns = ['path', 'status', 'top_class', 'confidence'] as const;

/** Review columns after the error code (issue 6): the person's label, when, and the flag. */
export const csvReviewColumns = ['reviewed_label', 'reviewed_at', 'flagged'] as const;

/** Uncertainty columns, last. */
export const csvUncertaintyColumns = ['margin', 'entropy'] as const;

/** The CSV header: path, status, top class, confidence, one column per class, error code, review. */
export function csvHeader(classes: readonly string[]): string {
  return csvLine([...csvFixedColumns, ...classes, 'error_code', ...csvReviewColumns, ...csvUncertaintyColumns]);
}

/** One CSV row. top_class is the label at the threshold (multi-label: the passing classes joined
 *  by ";"); confidence is the best score; a class the model did not return stays empty. */
export function csvRow(
  id: string,
  record: ResultRecord | undefined,
  classes: readonly string[],
  threshold: number,
  review?: Partial<ReviewFields>,
): string {
  const status: ExportStatus = record ? record.status : 'pending';
  const labels = recordLabels(record, threshold);
  const scores = new Map(labels?.scores ?? []);
  const reviewed = { ...noReview, ...review };
  return csvLine([
    id,
    status,
    labels ? labels.labels.join(';') : '',
    labels?.best ? labels.best[1] : null,
    ...classes.map((cls) => scores.get(cls) ?? null),
    record?.status === 'error' ? (record.error?.code ?? 'internal') : '',
    reviewed.reviewed_label,
    reviewed.reviewed_at,
    reviewed.flagged ? 'true' : 'false',
    ...Object.values(uncertaintyFields(record, threshold)),
  ]);
}

/** The caption the annotated export draws, like Roboflow's `.save()` ("Class: X | Confidence: Y"). */
export function captionText(record: ResultRecord | undefined, threshold: number): string | null {
  const labels = recordLabels(record, threshold);
  if (!labels) return null;
  if (labels.multiLabel) {
    const scores = new Map(labels.scores);
    const chosen = labels.labels.map((cls) => `${cls} ${formatPercentTenths(scores.get(cls) ?? 0)}`);
    return chosen.length ? `Classes: ${chosen.join(', ')}` : 'Classes: none above threshold';
  }
  if (!labels.best) return 'Class: none | Confidence: 0%';
  return `Class: ${labels.best[0]} | Confidence: ${formatPercentTenths(labels.best[1])}`;
}
