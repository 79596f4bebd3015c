import { csvField, type CsvProblem, type UnmatchedName } from './ground-truth';
import type { EvaluationMetrics } from './metrics';
import { formatPercentTenths } from './format';
import type { ThresholdSweep } from './threshold-sweep';
import type { TruthGroups } from './truth-groups';

// The evaluation report written by `classify-desk evaluate --out` and the app's report export
// (the evaluate command and the evaluation panel), plus the confusion matrix as CSV and as aligned text for a terminal.
// Undefined ratios (0/0) are JSON null. Images below the threshold ("no prediction", see metrics.ts)
// count in `support` and against `accuracy` but in no matrix cell: a row sums to support minus them.

/** v2 adds what the console says (counts, averages, the "(none)" column), where the results came
 *  from, when, and the misclassified images; v1's fields keep their meaning. */
export const evalReportFormat = 'classify-desk-eval/v2';

type Ratios = { precision: number | null; recall: number | null; f1: number | null };

/** One misclassified image: its true labels, the model's labels at the threshold (empty: no class
 *  passed) and the best score received (whether or not it passed). */
export interface EvalMistake {
  path: string;
  truth: string[];
  prediction: string[];
  confidence: number | null;
}

export interface EvalReport {
  format: typeof evalReportFormat;
  model: string;
  threshold: number;
  classes: string[];
  accuracy: number | null;
  per_class: Record<string, Ratios & { support: number }>;
  confusion: { labels: string[]; matrix: number[][]; no_prediction: number[] };
  unlabeled: number;
  errors: number;
  multi_label: boolean;
  /** The image counts the console prints. */
  counts: { images: number; evaluated: number; correct: number; no_prediction: number; unlabeled: number; errors: number; not_classified: number };
  macro_avg: Ratios;
  weighted_avg: Ratios;
  folder: string | null;
  endpoint: string | null;
  created: string;
  /** Per-class overrides of `threshold` ({} when none). */
  class_thresholds: Record<string, number>;
  /** The evaluated images judged wrong, in path order (left out of the IPC evaluation). */
  mistakes?: EvalMistake[];
}

/** Where and when an evaluation's results come from, for its report. */
export interface EvalReportContext {
  folder?: string | null;
  endpoint?: string | null;
  created?: string;
  mistakes?: EvalMistake[];
}

/** What an evaluation is asked for: a folder, optionally a threshold, a labels CSV, name mappings. */
export interface EvaluationRequest {
  folderId: string;
  threshold?: number;
  labelsPath?: string;
  mapping?: Record<string, string | null>;
  /** Another model's stored results (model comparison); default the current model. */
  model?: string;
  /** That model's engine, when not the settings' one. */
  engine?: 'roboflow-api' | 'on-device';
  /** Per-class threshold overrides; absent = the ones saved for the folder and model. */
  classThresholds?: Record<string, number>;
}

/** What the ground truth is asked for: an evaluation's request without its threshold. */
export type GroundTruthRequest = Omit<EvaluationRequest, 'threshold' | 'classThresholds'>;

/** The evaluation exports: one table, app/export-formats.ts. */
export type { EvaluationExportKind } from './export-formats';

/** Where a dataset label came from: the person's correction, the folder name or labels CSV, or the
 *  model's prediction at the threshold. */
export type LabelSource = 'correction' | 'truth' | 'prediction';

export interface DatasetLabel {
  id: string;
  labels: string[];
  source: LabelSource;
}

/** Options of the labels exports ("Corrected labels"). */
export interface DatasetExportOptions {
  /** Leave out images whose only label is the model's prediction. */
  onlyConfirmed?: boolean;
  /** Class folders: mirror each image's sub-folders under its class folder (default false: the
   *  flat folder-per-class layout a classification dataset upload expects). */
  keepSubfolders?: boolean;
}

/** An evaluation of one folder for one model, as main computes it (IPC `evaluation`, CLI). */
export interface FolderEvaluation {
  model: string;
  /** Metrics at `metrics.threshold`, corrections applied. */
  metrics: EvaluationMetrics;
  report: EvalReport;
  groundTruth: {
    source: 'folders' | 'csv';
    /** Folder or CSV names that match no class yet (for the mapping editor). */
    unmatched: UnmatchedName[];
    problems: CsvProblem[];
    /** CSV paths that name no image of the folder. */
    unknownPaths: string[];
  };
  /** True labels BEFORE corrections, so the renderer can overlay live corrections: the images
   *  grouped by label set (truthOfGroups reads them back). */
  truth: TruthGroups;
  /** The threshold sweep and per-class curves (the HTML report; left out of the IPC evaluation). */
  sweep?: ThresholdSweep;
}

/** What the window asks main for (`groundTruth`): the ground truth alone. The window computes the
 *  metrics itself from the results it holds (at 250,000 labelled images main's metrics were about
 *  0.4 s of its CPU and 50 MB per answer the window did not read). */
export type FolderGroundTruth = Pick<FolderEvaluation, 'groundTruth' | 'truth'>;

/** The JSON report: v1's fields in their order, then everything else the console says. */
export function evalReport(model: string, metrics: EvaluationMetrics, context: EvalReportContext = {}): EvalReport {
  const perClass: EvalReport['per_class'] = {};
  metrics.classes.forEach((name, i) => {
    const m = metrics.perClass[i];
    perClass[name] = { precision: m.precision, recall: m.recall, f1: m.f1, support: m.support };
  });
  return {
    format: evalReportFormat,
    model,
    threshold: metrics.threshold,
    classes: [...metrics.classes],
    accuracy: metrics.accuracy,
    per_class: perClass,
    confusion: { labels: [...metrics.classes], matrix: metrics.confusion.counts.map((row) => [...row]), no_prediction: [...metrics.confusion.noPrediction] },
    unlabeled: metrics.unlabeled,
    errors: metrics.errors,
    multi_label: metrics.multiLabel,
    counts: {
      images: metrics.total,
      evaluated: metrics.evaluated,
      correct: metrics.correct,
      no_prediction: metrics.noPrediction,
      unlabeled: metrics.unlabeled,
      errors: metrics.errors,
      not_classified: metrics.pending,
    },
    macro_avg: { precision: metrics.macro.precision, recall: metrics.macro.recall, f1: metrics.macro.f1 },
    weighted_avg: { precision: metrics.weighted.precision, recall: metrics.weighted.recall, f1: metrics.weighted.f1 },
    folder: context.folder ?? null,
    endpoint: context.endpoint ?? null,
    created: context.created ?? new Date().toISOString(),
    class_thresholds: { ...metrics.classThresholds },
    ...(context.mistakes ? { mistakes: context.mistakes } : {}),
  };
}

/** The confusion matrix as CSV: header `true\predicted,<classes...>,(no prediction)`, one row per true class. */
export function confusionCsv(metrics: EvaluationMetrics): string {
  const head = ['true\\predicted', ...metrics.classes, '(no prediction)'].map(csvField).join(',');
  const rows = metrics.classes.map((name, r) =>
    [csvField(name), ...metrics.confusion.counts[r].map(String), String(metrics.confusion.noPrediction[r])].join(','),
  );
  return [head, ...rows].join('\r\n') + '\r\n';
}

function pct(value: number | null): string {
  return value === null ? '-' : formatPercentTenths(value);
}

/** A human summary: accuracy, buckets, per-class table and the confusion matrix, aligned in columns. */
export function formatEvaluation(model: string, metrics: EvaluationMetrics): string {
  const lines: string[] = [];
  const kind = metrics.multiLabel ? 'exact-match ratio' : 'accuracy';
  const overrides = Object.entries(metrics.classThresholds ?? {});
  lines.push(`Model ${model} at threshold ${metrics.threshold}` + (overrides.length ? ` (per class: ${overrides.map(([name, t]) => `${name} ${t}`).join(', ')})` : ''));
  lines.push(`${kind}: ${pct(metrics.accuracy)} (${metrics.correct} of ${metrics.evaluated} labelled images)`);
  lines.push(
    `images: ${metrics.total}; evaluated ${metrics.evaluated}, no prediction above threshold ${metrics.noPrediction}, ` +
      `unlabeled ${metrics.unlabeled}, errors ${metrics.errors}` + (metrics.pending ? `, not classified ${metrics.pending}` : ''),
  );
  lines.push('');
  const table = [['class', 'precision', 'recall', 'f1', 'support']];
  metrics.classes.forEach((name, i) => {
    const m = metrics.perClass[i];
    table.push([name, pct(m.precision), pct(m.recall), pct(m.f1), String(m.support)]);
  });
  table.push(['macro avg', pct(metrics.macro.precision), pct(metrics.macro.recall), pct(metrics.macro.f1), '']);
  table.push(['weighted avg', pct(metrics.weighted.precision), pct(metrics.weighted.recall), pct(metrics.weighted.f1), '']);
  lines.push(...align(table));
  lines.push('');
  lines.push(metrics.multiLabel ? 'Co-occurrence (rows: true, columns: predicted)' : 'Confusion matrix (rows: true, columns: predicted)');
  const matrix = [['', ...metrics.classes, '(none)']];
  metrics.classes.forEach((name, r) =>
    matrix.push([name, ...metrics.confusion.counts[r].map(String), String(metrics.confusion.noPrediction[r])]),
  );
  lines.push(...align(matrix));
  return lines.join('\n') + '\n';
}

function align(rows: string[][]): string[] {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  return rows.map((row) => row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join('  ').trimEnd());
}
