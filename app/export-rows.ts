import { passingLabels, parseResponse, responseAt, thresholdRule, type NormalisedResponse, type Threshold } from './roboflow';
import type { ExportSkip, ResultRecord, SentInfo } from './types';
import { formatPercentTenths, plural } from './format';
import { uncertaintyOf } from './uncertainty';

// Pure builders for exports (format "classify-desk/v2", described in docs/export-format.md): the
// JSON document and its per-image objects, CSV rows, and annotation captions. Each image object
// carries Roboflow's response fields as Roboflow answers at the export's threshold (roboflow.ts
// responseAt, the same rule as the screen), the response as received under `raw_response`, and
// what the desktop knows; later features add their fields through `extra`.

/** v2: the Roboflow fields follow the export's threshold; the received response is `raw_response`. */
export const exportFormat = 'classify-desk/v2';

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
  /** Tags and note (tags and notes); exports write [] / null when absent. */
  tags?: string[];
  note?: string | null;
}

export const noReview: ReviewFields = { reviewed_label: null, reviewed_at: null, flagged: false };

export interface ExportImageInput {
  /** The export's threshold rule: the Roboflow fields are what Roboflow answers at it. */
  threshold: Threshold;
  /** The image id: relative POSIX path, or an https URL for web images. */
  id: string;
  /** The path or URL the image was read from (Roboflow's SDK calls it image_path). */
  imagePath: string;
  record?: ResultRecord;
  stale?: boolean;
  review?: Partial<ReviewFields>;
  /** Additional fields, added last (they cannot replace path, status or the response fields). */
  extra?: Record<string, unknown>;
}

export type ExportStatus = 'done' | 'error' | 'pending';

/** One image of the JSON export: path, status, Roboflow's fields at the threshold, then ours. */
export function exportImage(input: ExportImageInput): Record<string, unknown> {
  const record = input.record;
  const status: ExportStatus = record ? record.status : 'pending';
  const out: Record<string, unknown> = { path: input.id, status };
  const response = record?.status === 'done' ? record.response : undefined;
  if (response) Object.assign(out, responseAt(response, input.threshold));
  // Re-assigning keeps the keys first while making sure a server field cannot shadow ours.
  out.path = input.id;
  out.status = status;
  out.image_path = input.imagePath;
  out.prediction_type = 'ClassificationModel';
  out.error = record?.status === 'error' && record.error ? { code: record.error.code, message: record.error.message } : null;
  out.stale = input.stale ?? false;
  out.sent = record?.sent ?? null;
  out.original = originalSize(record?.sent);
  out.raw_response = response ?? null;
  out.classified_at = record?.finishedAt ?? null;
  Object.assign(out, noReview, input.review ?? {});
  Object.assign(out, uncertaintyFields(input.record, input.threshold));
  Object.assign(out, annotationFields(input.review));
  for (const [key, value] of Object.entries(input.extra ?? {})) if (!(key in out)) out[key] = value;
  return out;
}

/** The image's own width and height (EXIF-oriented) before any downscaling, where known: recorded
 *  at upload, or the sent size when nothing was resized. */
export function originalSize(sent: SentInfo | undefined): { width: number; height: number } | null {
  if (!sent) return null;
  if (sent.original) return { width: sent.original.width, height: sent.original.height };
  return sent.resized ? null : { width: sent.width, height: sent.height };
}

export interface ExportHeader {
  model: string;
  endpoint: string;
  threshold: number;
  /** Per-class overrides of `threshold` (saved per folder and model); absent or {} = none. */
  classThresholds?: Readonly<Record<string, number>>;
  created: string;
  folder: string;
}

/** The threshold rule an export follows: its default with the per-class overrides. */
export function headerThreshold(header: Pick<ExportHeader, 'threshold' | 'classThresholds'>): Threshold {
  return thresholdRule(header.threshold, header.classThresholds);
}

/** The JSON export document around already-built image objects. */
export function exportDocument(header: ExportHeader, images: unknown[]): Record<string, unknown> {
  return {
    format: exportFormat,
    model: exportModel(header.model),
    endpoint: header.endpoint,
    threshold: header.threshold,
    class_thresholds: { ...header.classThresholds },
    created: header.created,
    folder: header.folder,
    images,
  };
}

/** The labels a record gets at a threshold (roboflow.ts passingLabels, the screen's rule), or null
 *  when it has no readable response. `scored` holds the passing classes with their scores. */
export function recordLabels(
  record: ResultRecord | undefined,
  threshold: Threshold,
): (NormalisedResponse & { labels: string[]; scored: Array<[string, number]>; best: [string, number] | null }) | null {
  if (!record || record.status !== 'done' || !record.response) return null;
  const parsed = parseResponse(record.response);
  if (!parsed.ok) return null;
  const labels = passingLabels(parsed.value, threshold);
  return { multiLabel: parsed.value.multiLabel, scores: parsed.value.scores, labels: labels.classes, scored: labels.scored, best: labels.best };
}

const formulaStart = /^[=+\-@\t\r]/;

/** Text a spreadsheet would run as a formula (= + - @ tab CR first) gets a leading `'`. */
export function defuseFormula(text: string): string {
  return formulaStart.test(text) ? `'${text}` : text;
}

/** Undoes defuseFormula (for readers of our own CSVs). */
export function restoreFormula(text: string): string {
  return text.startsWith("'") && formulaStart.test(text.slice(1)) ? text.slice(1) : text;
}

/** What a folder export could not write, for its notice: the count and the first few images with
 *  why (never a silent gap); empty when every image got its file. */
export function skippedText(skipped: readonly ExportSkip[], shown = 3): string {
  if (skipped.length === 0) return '';
  const first = skipped.slice(0, shown).map((s) => `${s.id}: ${s.message}`);
  const more = skipped.length > shown ? `; and ${plural(skipped.length - shown, 'more image')}` : '';
  return `${plural(skipped.length, 'image')} not written (${first.join('; ')}${more}).`;
}

/** Margin and entropy of a record (see app/uncertainty), null without readable scores. */
export function uncertaintyFields(record: ResultRecord | undefined, threshold: Threshold): { margin: number | null; entropy: number | null } {
  const labels = recordLabels(record, threshold);
  const u = labels ? uncertaintyOf(labels.scores, labels.multiLabel, threshold) : null;
  return { margin: u?.margin ?? null, entropy: u?.entropy ?? null };
}

/** The tags and note of an image for exports: [] and null when it has none. */
export function annotationFields(review: Partial<ReviewFields> | undefined): { tags: string[]; note: string | null } {
  return { tags: review?.tags ? [...review.tags] : [], note: review?.note || null };
}

/** Quotes one CSV cell per RFC 4180, and defuses spreadsheet formulas (= + - @ tab CR first). */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const text = defuseFormula(value);
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

/** Review columns after the error code (review and corrections): the person's label, when, and the flag. */
export const csvReviewColumns = ['reviewed_label', 'reviewed_at', 'flagged'] as const;

/** Uncertainty columns, after the review ones. */
export const csvUncertaintyColumns = ['margin', 'entropy'] as const;

/** Tags (joined by ";") and note, last. */
export const csvAnnotationColumns = ['tags', 'note'] as const;

/** The CSV header: path, status, top class, confidence, one column per class, error code, review. */
export function csvHeader(classes: readonly string[]): string {
  return csvLine([...csvFixedColumns, ...classes, 'error_code', ...csvReviewColumns, ...csvUncertaintyColumns, ...csvAnnotationColumns]);
}

/** One CSV row. top_class is the label at the threshold (multi-label: the passing classes joined
 *  by ";"), empty when no class passes; confidence is the score of its first class, empty when no
 *  class passes; the per-class columns keep every score received (a class the model did not
 *  return stays empty). */
export function csvRow(
  id: string,
  record: ResultRecord | undefined,
  classes: readonly string[],
  threshold: Threshold,
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
    labels?.scored[0]?.[1] ?? null,
    ...classes.map((cls) => scores.get(cls) ?? null),
    record?.status === 'error' ? (record.error?.code ?? 'internal') : '',
    reviewed.reviewed_label,
    reviewed.reviewed_at,
    reviewed.flagged ? 'true' : 'false',
    ...Object.values(uncertaintyFields(record, threshold)),
    reviewed.tags?.join(';') ?? '',
    reviewed.note ?? null,
  ]);
}

/** The caption the annotated export draws, like Roboflow's `.save()` ("Class: X | Confidence: Y"). */
export function captionText(record: ResultRecord | undefined, threshold: Threshold): string | null {
  const labels = recordLabels(record, threshold);
  if (!labels) return null;
  if (labels.multiLabel) {
    const scores = new Map(labels.scores);
    const chosen = labels.labels.map((cls) => `${cls} ${formatPercentTenths(scores.get(cls) ?? 0)}`);
    return chosen.length ? `Classes: ${chosen.join(', ')}` : 'Classes: none above threshold';
  }
  const top = labels.scored[0];
  if (!top) return 'Class: none above threshold';
  return `Class: ${top[0]} | Confidence: ${formatPercentTenths(top[1])}`;
}
