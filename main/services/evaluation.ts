import fs from 'node:fs/promises';
import { AppFailure } from '../../app/errors';
import { evalReport, type DatasetExportOptions, type DatasetLabel, type EvalMistake, type EvaluationExportKind, type EvaluationRequest, type FolderEvaluation, type FolderGroundTruth, type GroundTruthRequest } from '../../app/eval-report';
import { groundTruthInSteps, parseLabelsCsv, type GroundTruth, type LabelMapping } from '../../app/ground-truth';
import { atOnce, stepSlice } from '../../app/steps';
import { evaluateAt, mistakeIds, MultiLabelVote, prepareEvaluation, type EvalInput, type PreparedEvaluation } from '../../app/metrics';
import { passingLabels, thresholdRule, type Threshold } from '../../app/roboflow';
import { thresholdSweep } from '../../app/threshold-sweep';
import { groupTruthInSteps } from '../../app/truth-groups';
import { evaluationExports, exportFileName } from '../../app/export-formats';
import { resultsEndpoint } from '../../app/model-ref';
import type { Settings } from '../../app/settings';
import { classThresholdsKey } from '../../app/class-thresholds';
import { comparePaths } from '../../app/view-filter';
import type { ExportDone, ImageEntry, ResultSummary } from '../../app/types';
import type { JobLibrary } from './inference';
import { writeClassFolders, writeLabelsCsv, writeReport } from './evaluation-export';
import { writeHtmlReport } from './report-html-export';
import { safeName } from './export-files';
import { storedScores, type ResultsStore, type StoredResults } from './results';
import { inTurns, type Turn } from './next-turn';

// Evaluation of a folder against its ground truth, shared by the exports and `classify-desk
// evaluate`: stored results + folder names or a labels CSV + corrections -> metrics. The window asks
// only for the ground truth (`groundTruth`) and computes the metrics itself.

export interface EvaluateRecordsInput {
  model: string;
  /** The folder's images (web images have no ground truth and are left out). */
  entries: Iterable<ImageEntry>;
  /** The stored results, taken as the evaluation starts (their handles hold within it only). */
  results: () => StoredResults;
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

/** What an image's stored result is to an evaluation. */
const enum Stored {
  None,
  Done,
  /** Done, but the file changed since: pending. */
  Stale,
  Error,
}

/** The folder's images with their results' handles and states: no object per result (at 250,000
 *  results, a summary each made the evaluation a folder's open asks for cost main 1.2-1.6 s at a
 *  stretch and ~200 MB of garbage); a summary is made only for an image whose scores count. */
interface Collected {
  ids: string[];
  results: StoredResults;
  handles: Int32Array;
  states: Uint8Array;
  classes: string[];
  multiLabel: boolean;
  base: GroundTruth;
  /** Ground truth with the corrections applied. */
  truth: ReadonlyMap<string, string[]>;
}

function* collect(input: EvaluateRecordsInput): Generator<void, Collected> {
  const results = input.results();
  const ids: string[] = [];
  const found: number[] = [];
  const stateOf: Stored[] = [];
  const classSet = new Set<string>();
  let multi = 0;
  let single = 0;
  for (const entry of input.entries) {
    if (ids.length > 0 && ids.length % stepSlice === 0) yield;
    const at = results.find(entry.id);
    ids.push(entry.id);
    found.push(at);
    if (at < 0) {
      stateOf.push(Stored.None);
      continue;
    }
    const status = results.status(at);
    if (status === 'done') {
      if (results.multiLabel(at)) multi++;
      else single++;
      for (let k = 0, n = results.scoreCount(at); k < n; k++) classSet.add(results.scoreClass(at, k));
    }
    stateOf.push(status === 'error' ? Stored.Error : results.stale(at, entry) ? Stored.Stale : Stored.Done);
  }
  yield;
  // The model's classes as seen in its scores (every class comes back at confidence 0.01).
  const classes = [...classSet].sort();
  const multiLabel = multi > single;
  const base = yield* groundTruthInSteps({ ids, classes, mapping: input.mapping, csv: input.csv, multiLabel });
  let truth: ReadonlyMap<string, string[]> = base.truth;
  if (input.corrections?.size) {
    const inFolder = new Set(ids);
    const corrected = new Map(base.truth);
    for (const [id, label] of input.corrections) if (inFolder.has(id)) corrected.set(id, [label]);
    truth = corrected;
  }
  return { ids, results, handles: Int32Array.from(found), states: Uint8Array.from(stateOf), classes, multiLabel, base, truth };
}

/** The summary of image `i` of the collected ones (it has a stored result). */
function summaryAt(c: Collected, i: number): ResultSummary {
  const summary = c.results.summary(c.handles[i], undefined);
  summary.stale = c.states[i] === Stored.Stale;
  return summary;
}

// What the metrics need of a result they only count (an error, a stale one, one without truth).
const errorResult: EvalInput['result'] = { status: 'error', multiLabel: false, scores: [] };
const staleResult: EvalInput['result'] = { status: 'done', stale: true, multiLabel: false, scores: [] };
const unscoredResult: EvalInput['result'] = { status: 'done', multiLabel: false, scores: [] };

/** Per image, its true labels (null for none), read once; and whether the metrics will judge the
 *  evaluated images as multi-label (prepareEvaluation's vote, MultiLabelVote). */
function truthByImage(c: Collected): { truth: Array<string[] | null>; multiLabel: boolean } {
  const truth = new Array<string[] | null>(c.ids.length);
  const vote = new MultiLabelVote();
  for (let i = 0; i < c.ids.length; i++) {
    const labels = c.truth.get(c.ids[i]) ?? null;
    truth[i] = labels;
    if (c.states[i] === Stored.Done && labels?.length) vote.judge(c.results.multiLabel(c.handles[i]));
  }
  return { truth, multiLabel: vote.multiLabel };
}

/** Image `i`'s top score, all single-label metrics read (storedScores). */
function topScore(c: Collected, i: number): EvalInput['result'] {
  const at = c.handles[i];
  return { status: 'done', multiLabel: c.results.multiLabel(at), scores: storedScores(c.results, at, true) };
}

function* evalInputs(c: Collected): Generator<EvalInput> {
  const known = truthByImage(c);
  // Single-label metrics need only each image's top class: not a summary with every score.
  const scored = known.multiLabel ? summaryAt : topScore;
  for (let i = 0; i < c.ids.length; i++) {
    const id = c.ids[i];
    const truth = known.truth[i];
    const state = c.states[i];
    let result: EvalInput['result'] = null;
    if (state === Stored.Error) result = errorResult;
    else if (state === Stored.Stale) result = staleResult;
    else if (state === Stored.Done) result = truth?.length ? scored(c, i) : unscoredResult;
    yield { id, result, truth };
  }
}

/** The evaluation in steps: each `yield` is where the caller may let other work run (the
 *  results' handles hold meanwhile: StoredResults reads the rows as they were when taken; a
 *  folder's entries added meanwhile are collected too). */
function* evaluationSteps(input: EvaluateRecordsInput): Generator<void, FolderEvaluation> {
  const collected = yield* collect(input);
  yield;
  const prepared = prepareEvaluation(evalInputs(collected), collected.classes);
  yield;
  const metrics = evaluateAt(prepared, input.threshold);
  const mistakes = input.withMistakes ? mistakesOf(prepared, collected, input.threshold) : undefined;
  return {
    model: input.model,
    metrics,
    report: evalReport(input.model, metrics, { folder: input.folder, endpoint: input.endpoint, mistakes }),
    ...(yield* groundTruthOf(collected)),
    ...(input.withSweep ? { sweep: thresholdSweep(prepared, input.threshold) } : {}),
  };
}

/** The ground truth alone, in steps (what the window asks for): the images collected, then their
 *  true labels before corrections, grouped. */
function* groundTruthSteps(input: EvaluateRecordsInput): Generator<void, FolderGroundTruth> {
  const collected = yield* collect({ ...input, corrections: undefined });
  yield;
  return yield* groundTruthOf(collected);
}

function* groundTruthOf({ base }: Collected): Generator<void, FolderGroundTruth> {
  return {
    groundTruth: { source: base.source, unmatched: base.unmatched, problems: base.problems, unknownPaths: base.unknownPaths },
    truth: yield* groupTruthInSteps(base.truth),
  };
}

/** Metrics and report of stored results against the ground truth (pure apart from its inputs). */
export function evaluateRecords(input: EvaluateRecordsInput): FolderEvaluation {
  return atOnce(evaluationSteps(input));
}

/** The evaluated images judged wrong, with the labels the screen shows for them (passingLabels). */
function mistakesOf(prepared: PreparedEvaluation, c: Collected, threshold: Threshold): EvalMistake[] {
  const wrong = mistakeIds(prepared, threshold);
  const out: EvalMistake[] = [];
  for (let i = 0; i < c.ids.length; i++) {
    const id = c.ids[i];
    if (!wrong.has(id)) continue;
    const summary = summaryAt(c, i);
    const labels = passingLabels(summary.scores, summary.multiLabel, threshold);
    out.push({ path: id, truth: c.truth.get(id) ?? [], prediction: labels.classes, confidence: labels.best?.[1] ?? null });
  }
  return out.sort((a, b) => comparePaths(a.path, b.path));
}

/**
 * The labels of a dataset built from the folder: per image, the person's correction, else its
 * ground truth, else the model's labels at the threshold, each with where it came from. Images
 * with none of these are left out; with `onlyConfirmed`, so are those with only a prediction.
 */
export function datasetLabels(input: EvaluateRecordsInput, opts: Pick<DatasetExportOptions, 'onlyConfirmed'> = {}): DatasetLabel[] {
  return atOnce(datasetLabelSteps(input, opts));
}

/** datasetLabels in steps (see evaluationSteps). */
function* datasetLabelSteps(input: EvaluateRecordsInput, opts: Pick<DatasetExportOptions, 'onlyConfirmed'>): Generator<void, DatasetLabel[]> {
  const collected = yield* collect(input);
  yield;
  const { ids, truth, states } = collected;
  const out: DatasetLabel[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const known = truth.get(id);
    if (known) {
      out.push({ id, labels: known, source: input.corrections?.has(id) ? 'correction' : 'truth' });
      continue;
    }
    if (opts.onlyConfirmed || states[i] !== Stored.Done) continue;
    const summary = summaryAt(collected, i);
    const predicted = passingLabels(summary.scores, summary.multiLabel, input.threshold).classes;
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
  results: Pick<ResultsStore, 'ref' | 'journal' | 'stored'>;
  corrections: { labels(folderId: string): Promise<Map<string, string>> };
  settings: { get(): Settings };
  /** The app's data folder, which exports must stay out of. */
  dataDir?: string;
  /** The turn of the event loop an evaluation takes between its steps (tests count them). */
  turn?: Turn;
}

/** An evaluation export: what to write, and where main's dialog answered. */
export type EvaluationExportRequest = EvaluationRequest & { kind: EvaluationExportKind; path: string } & DatasetExportOptions;

/** The `evaluation` port: the open folder, the current model, its stored results. */
export function createEvaluation(opts: EvaluationServiceOptions) {
  async function inputFor(request: EvaluationRequest, { withCorrections = true } = {}) {
    const folder = opts.library.get(request.folderId);
    if (!folder) throw new AppFailure('not_found', 'That folder is not open any more. Open it again.');
    await folder.settled;
    const settings = opts.settings.get();
    const model = request.model ?? settings.model;
    if (!model) throw new AppFailure('invalid_input', 'Choose a model in the settings first.');
    const ref = opts.results.ref({ model, engine: request.engine });
    const journal = ref ? await opts.results.journal(request.folderId, ref) : null;
    const csv = request.labelsPath ? await readLabelsCsv(request.labelsPath) : null;
    const input: EvaluateRecordsInput = {
      model,
      folder: folder.info.root,
      endpoint: ref ? resultsEndpoint(ref) : '',
      entries: folder.entries.values(),
      results: () => opts.results.stored(journal),
      threshold: thresholdRule(request.threshold ?? settings.threshold, request.classThresholds ?? settings.classThresholds[classThresholdsKey(request.folderId, model)]),
      csv: csv?.labels,
      // The request's mapping (the window sends its own) wins over the one stored for the folder.
      mapping: request.mapping ?? settings.groundTruthMappings[request.folderId],
      corrections: withCorrections ? await opts.corrections.labels(request.folderId) : undefined,
    };
    return { folder, input, csvProblems: csv?.problems ?? [] };
  }

  // Evaluations and dataset labels as main makes them: in steps, serving other work between.
  const evaluated = (input: EvaluateRecordsInput) => inTurns(evaluationSteps(input), opts.turn);
  const labelled = (input: EvaluateRecordsInput, request: DatasetExportOptions) => inTurns(datasetLabelSteps(input, request), opts.turn);

  /** One writer per evaluation export of app/export-formats.ts: a kind without one does not compile. */
  const writers: Record<EvaluationExportKind, (run: { request: EvaluationExportRequest; root: string; input: EvaluateRecordsInput }) => Promise<ExportDone>> = {
    report: async ({ request, input }) => writeReport(request.path, await evaluated({ ...input, withMistakes: true }), opts.dataDir),
    'report-html': async ({ request, input }) =>
      writeHtmlReport(request.path, await evaluated({ ...input, withMistakes: true, withSweep: true }), (id) => opts.library.resolve(request.folderId, id), opts.dataDir),
    'labels-csv': async ({ request, input }) => writeLabelsCsv(request.path, await labelled(input, request), opts.dataDir),
    'labels-folders': async ({ request, root, input }) =>
      writeClassFolders(request.path, root, await labelled(input, request), (id) => opts.library.resolve(request.folderId, id), { ...request, dataDir: opts.dataDir }),
  };

  return {
    /** The window's question: the ground truth before corrections (it applies them, and computes
     *  the metrics, itself). */
    async groundTruth(request: GroundTruthRequest): Promise<FolderGroundTruth> {
      const { input, csvProblems } = await inputFor(request, { withCorrections: false });
      const answer = await inTurns(groundTruthSteps(input), opts.turn);
      answer.groundTruth.problems.unshift(...csvProblems);
      return answer;
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
