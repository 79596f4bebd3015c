import fs from 'node:fs/promises';
import { AppFailure } from '../../app/errors';
import { evalReport, type FolderEvaluation } from '../../app/eval-report';
import { parseLabelsCsv, resolveGroundTruth, type LabelMapping } from '../../app/ground-truth';
import { evaluateAt, prepareEvaluation, type EvalInput } from '../../app/metrics';
import type { Settings } from '../../app/settings';
import type { ImageEntry, ResultRecord, ResultSummary } from '../../app/types';
import type { JobLibrary } from './inference';
import { summarise, type ResultsStore } from './results';

// Evaluation of a folder against its ground truth, shared by the IPC channel and
// `classify-desk evaluate`: stored results + folder names or a labels CSV + corrections -> metrics.

export interface EvaluateRecordsInput {
  model: string;
  /** The folder's images (web images have no ground truth and are left out). */
  entries: Iterable<ImageEntry>;
  record: (id: string) => ResultRecord | undefined;
  threshold: number;
  /** A parsed labels CSV; when set, folder names are not used. */
  csv?: Map<string, string[]> | null;
  mapping?: LabelMapping;
  /** Corrected labels by image id; they override the ground truth. */
  corrections?: ReadonlyMap<string, string>;
}

/** Metrics and report of stored results against the ground truth (pure apart from its inputs). */
export function evaluateRecords(input: EvaluateRecordsInput): FolderEvaluation {
  const summaries = new Map<string, ResultSummary | null>();
  const classSet = new Set<string>();
  let multi = 0;
  let single = 0;
  for (const entry of input.entries) {
    const record = input.record(entry.id);
    const summary = record ? summarise(record, entry) : null;
    summaries.set(entry.id, summary);
    if (summary?.status === 'done') {
      if (summary.multiLabel) multi++;
      else single++;
      for (const [name] of summary.scores) classSet.add(name);
    }
  }
  // The model's classes as seen in its scores (every class comes back at confidence 0.01).
  const classes = [...classSet].sort();
  const multiLabel = multi > single;
  const ids = [...summaries.keys()];
  const base = resolveGroundTruth({ ids, classes, mapping: input.mapping, csv: input.csv, multiLabel });
  const truth = new Map(base.truth);
  for (const [id, label] of input.corrections ?? []) if (summaries.has(id)) truth.set(id, [label]);
  const inputs: EvalInput[] = ids.map((id) => ({ id, result: summaries.get(id), truth: truth.get(id) ?? null }));
  const metrics = evaluateAt(prepareEvaluation(inputs, classes), input.threshold);
  return {
    model: input.model,
    metrics,
    report: evalReport(input.model, metrics),
    groundTruth: { source: base.source, unmatched: base.unmatched, problems: base.problems, unknownPaths: base.unknownPaths },
    truth: [...base.truth],
  };
}

const maxCsvBytes = 64 * 1024 * 1024;

/** Reads and parses a labels CSV, with a message that says what to do when it cannot. */
export async function readLabelsCsv(file: string): Promise<{ labels: Map<string, string[]>; problems: Array<{ line: number; message: string }> }> {
  let text: string;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw new AppFailure('invalid_input', `The labels CSV "${file}" is not a file. Choose a CSV with path,label rows.`);
    if (stat.size > maxCsvBytes) throw new AppFailure('invalid_input', `The labels CSV "${file}" is larger than 64 MB. Split it or trim it.`);
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof AppFailure) throw error;
    throw new AppFailure('unreadable_file', `The labels CSV "${file}" could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'}). Check the path and its permissions.`);
  }
  const parsed = parseLabelsCsv(text);
  return { labels: parsed.labels, problems: parsed.problems };
}

export interface EvaluationServiceOptions {
  library: Pick<JobLibrary, 'get'>;
  results: Pick<ResultsStore, 'current'>;
  corrections: { labels(folderId: string): Promise<Map<string, string>> };
  settings: { get(): Settings };
}

export interface EvaluationRequest {
  folderId: string;
  threshold?: number;
  labelsPath?: string;
  mapping?: Record<string, string | null>;
}

/** The `evaluation` port: the open folder, the current model, its stored results. */
export function createEvaluation(opts: EvaluationServiceOptions) {
  return {
    async evaluate(request: EvaluationRequest): Promise<FolderEvaluation> {
      const folder = opts.library.get(request.folderId);
      if (!folder) throw new AppFailure('not_found', 'That folder is not open any more. Open it again.');
      await folder.done;
      const settings = opts.settings.get();
      if (!settings.model) throw new AppFailure('invalid_input', 'Choose a model in the settings first.');
      const journal = await opts.results.current(request.folderId);
      const csv = request.labelsPath ? await readLabelsCsv(request.labelsPath) : null;
      const evaluation = evaluateRecords({
        model: settings.model,
        entries: folder.entries.values(),
        record: (id) => journal?.get(id),
        threshold: request.threshold ?? settings.threshold,
        csv: csv?.labels,
        mapping: request.mapping,
        corrections: await opts.corrections.labels(request.folderId),
      });
      if (csv) evaluation.groundTruth.problems.unshift(...csv.problems);
      return evaluation;
    },
  };
}
