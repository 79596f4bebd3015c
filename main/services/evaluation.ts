import fs from 'node:fs/promises';
import { AppFailure } from '../../app/errors';
import { evalReport, type DatasetExportOptions, type DatasetLabel, type EvalMistake, type EvaluationExportKind, type EvaluationRequest, type FolderEvaluation } from '../../app/eval-report';
import { parseLabelsCsv, resolveGroundTruth, type GroundTruth, type LabelMapping } from '../../app/ground-truth';
import { evaluateAt, mistakeIds, prepareEvaluation, type EvalInput, type PreparedEvaluation } from '../../app/metrics';
import { passingLabels, thresholdRule, type Threshold } from '../../app/roboflow';
import { thresholdSweep } from '../../app/threshold-sweep';
import { evaluationExports, exportFileName } from '../../app/export-formats';
import { resultsEndpoint } from '../../app/model-ref';
import type { Settings } from '../../app/settings';
import { classThresholdsKey } from '../../app/class-thresholds';
import { comparePaths } from '../../app/view-filter';
import type { ExportDone, ImageEntry, ResultRecord, ResultSummary } from '../../app/types';
import type { JobLibrary } from './inference';
import { writeClassFolders, writeLabelsCsv, writeReport } from './evaluation-export';
import { writeHtmlReport } from './report-html-export';
import { safeName } from './export-files';
import { summarise, type ResultsStore } from './results';

// Evaluation of a folder against its ground truth, shared by the IPC channel and
// `classify-desk evaluate`: stored results + folder names or a labels CSV + corrections -> metrics.

export interface EvaluateRecordsInput {
  model: string;
  /** The folder's images (web images have no ground truth and are left out). */
  entries: Iterable<ImageEntry>;
  record: (id: string) => ResultRecord | undefined;
  /** The image's summary without reading its record (the results store keeps one in memory). */
  summary?: (id: string, entry: ImageEntry) => ResultSummary | null;
  threshold: Threshold;
  /** A parsed labels CSV; when set, folder names are not used. */
  csv?: Map<string, string[]> | null;
  mapping?: LabelMapping;
  /** Corrected labels by image id; they override the ground truth. */
  corrections?: ReadonlyMap<string, string>;
  /** For the report: where the results come from. */
  folder?: string;
  endpoint?: string;
  /** List the misclassified images in the report (files and the CLI; not the IPC answer). */
  withMistakes?: boolean;
  /** Add the threshold sweep (the HTML report). */
  withSweep?: boolean;
}

interface Collected {
  ids: string[];
  summaries: Map<string, ResultSummary | null>;
  classes: string[];
  multiLabel: boolean;
  base: GroundTruth;
  /** Ground truth with the corrections applied. */
  truth: Map<string, string[]>;
}

function collect(input: EvaluateRecordsInput): Collected {
  const summaries = new Map<string, ResultSummary | null>();
  const classSet = new Set<string>();
  let multi = 0;
  let single = 0;
  for (const entry of input.entries) {
    const record = input.summary ? undefined : input.record(entry.id);
    const summary = input.summary ? input.summary(entry.id, entry) : record ? summarise(record, entry) : null;
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
  return { ids, summaries, classes, multiLabel, base, truth };
}

/** Metrics and report of stored results against the ground truth (pure apart from its inputs). */
export function evaluateRecords(input: EvaluateRecordsInput): FolderEvaluation {
  const { ids, summaries, classes, base, truth } = collect(input);
  const inputs: EvalInput[] = ids.map((id) => ({ id, result: summaries.get(id), truth: truth.get(id) ?? null }));
  const prepared = prepareEvaluation(inputs, classes);
  const metrics = evaluateAt(prepared, input.threshold);
  const mistakes = input.withMistakes ? mistakesOf(prepared, summaries, truth, input.threshold) : undefined;
  return {
    model: input.model,
    metrics,
    report: evalReport(input.model, metrics, { folder: input.folder, endpoint: input.endpoint, mistakes }),
    groundTruth: { source: base.source, unmatched: base.unmatched, problems: base.problems, unknownPaths: base.unknownPaths },
    truth: [...base.truth],
    ...(input.withSweep ? { sweep: thresholdSweep(prepared, input.threshold) } : {}),
  };
}

/** The evaluated images judged wrong, with the labels the screen shows for them (passingLabels). */
function mistakesOf(prepared: PreparedEvaluation, summaries: Map<string, ResultSummary | null>, truth: Map<string, string[]>, threshold: Threshold): EvalMistake[] {
  const out: EvalMistake[] = [];
  for (const id of mistakeIds(prepared, threshold)) {
    const summary = summaries.get(id);
    const labels = summary ? passingLabels(summary.scores, summary.multiLabel, threshold) : null;
    out.push({ path: id, truth: truth.get(id) ?? [], prediction: labels?.classes ?? [], confidence: labels?.best?.[1] ?? null });
  }
  return out.sort((a, b) => comparePaths(a.path, b.path));
}

/**
 * The labels of a dataset built from the folder: per image, the person's correction, else its
 * ground truth, else the model's labels at the threshold, each with where it came from. Images
 * with none of these are left out; with `onlyConfirmed`, so are those with only a prediction.
 */
export function datasetLabels(input: EvaluateRecordsInput, opts: Pick<DatasetExportOptions, 'onlyConfirmed'> = {}): DatasetLabel[] {
  const { ids, summaries, truth } = collect(input);
  const out: DatasetLabel[] = [];
  for (const id of ids) {
    const known = truth.get(id);
    if (known) {
      out.push({ id, labels: known, source: input.corrections?.has(id) ? 'correction' : 'truth' });
      continue;
    }
    if (opts.onlyConfirmed) continue;
    const summary = summaries.get(id);
    const predicted = summary && summary.status === 'done' && !summary.stale ? passingLabels(summary.scores, summary.multiLabel, input.threshold).classes : [];
    if (predicted.length > 0) out.push({ id, labels: predicted, source: 'prediction' });
  }
  // Scan order depends on the file system; a dataset file should not. Path order, as the grid.
  return out.sort((a, b) => comparePaths(a.id, b.id));
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
  library: Pick<JobLibrary, 'get' | 'resolve'>;
  results: Pick<ResultsStore, 'ref' | 'journal'> & Partial<Pick<ResultsStore, 'summary'>>;
  corrections: { labels(folderId: string): Promise<Map<string, string>> };
  settings: { get(): Settings };
  /** The app's data folder, which exports must stay out of. */
  dataDir?: string;
}

/** An evaluation export: what to write, and where main's dialog answered. */
export type EvaluationExportRequest = EvaluationRequest & { kind: EvaluationExportKind; path: string } & DatasetExportOptions;

/** The `evaluation` port: the open folder, the current model, its stored results. */
export function createEvaluation(opts: EvaluationServiceOptions) {
  async function inputFor(request: EvaluationRequest) {
    const folder = opts.library.get(request.folderId);
    if (!folder) throw new AppFailure('not_found', 'That folder is not open any more. Open it again.');
    await folder.settled;
    const settings = opts.settings.get();
    const model = request.model ?? settings.model;
    if (!model) throw new AppFailure('invalid_input', 'Choose a model in the settings first.');
    const ref = opts.results.ref({ model, engine: request.engine });
    const journal = ref ? await opts.results.journal(request.folderId, ref) : null;
    const csv = request.labelsPath ? await readLabelsCsv(request.labelsPath) : null;
    const summaryOf = opts.results.summary;
    const input: EvaluateRecordsInput = {
      model,
      folder: folder.info.root,
      endpoint: ref ? resultsEndpoint(ref) : '',
      entries: folder.entries.values(),
      record: (id) => journal?.get(id),
      summary: journal && summaryOf ? (id, entry) => summaryOf(journal, id, entry) : undefined,
      threshold: thresholdRule(request.threshold ?? settings.threshold, request.classThresholds ?? settings.classThresholds[classThresholdsKey(request.folderId, model)]),
      csv: csv?.labels,
      // The request's mapping (the window sends its own) wins over the one stored for the folder.
      mapping: request.mapping ?? settings.groundTruthMappings[request.folderId],
      corrections: await opts.corrections.labels(request.folderId),
    };
    return { folder, input, csvProblems: csv?.problems ?? [] };
  }

  /** One writer per evaluation export of app/export-formats.ts: a kind without one does not compile. */
  const writers: Record<EvaluationExportKind, (run: { request: EvaluationExportRequest; root: string; input: EvaluateRecordsInput }) => Promise<ExportDone>> = {
    report: ({ request, input }) => writeReport(request.path, evaluateRecords({ ...input, withMistakes: true }), opts.dataDir),
    'report-html': ({ request, input }) =>
      writeHtmlReport(request.path, evaluateRecords({ ...input, withMistakes: true, withSweep: true }), (id) => opts.library.resolve(request.folderId, id), opts.dataDir),
    'labels-csv': ({ request, input }) => writeLabelsCsv(request.path, datasetLabels(input, request), opts.dataDir),
    'labels-folders': ({ request, root, input }) =>
      writeClassFolders(request.path, root, datasetLabels(input, request), (id) => opts.library.resolve(request.folderId, id), { ...request, dataDir: opts.dataDir }),
  };

  return {
    async evaluate(request: EvaluationRequest): Promise<FolderEvaluation> {
      const { input, csvProblems } = await inputFor(request);
      const evaluation = evaluateRecords(input);
      evaluation.groundTruth.problems.unshift(...csvProblems);
      return evaluation;
    },
    /** Writes the report (JSON + confusion CSV beside it) or the dataset labels (CSV or class folders). */
    async export(request: EvaluationExportRequest): Promise<ExportDone> {
      const { folder, input } = await inputFor(request);
      return writers[request.kind]({ request, root: folder.info.root, input });
    },
    suggestedName(folderId: string, kind: EvaluationExportKind): string {
      const folder = opts.library.get(folderId);
      const model = opts.settings.get().model.replace('/', '-');
      const stem = [folder?.info.name ?? 'images', model].filter(Boolean).join('-');
      return safeName(exportFileName(evaluationExports[kind], stem), 'evaluation');
    },
  };
}
