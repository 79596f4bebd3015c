import fs from 'node:fs/promises';
import path from 'node:path';
import { AppFailure, isAppError } from '../../app/errors';
import { formatEvaluation } from '../../app/eval-report';
import { plural } from '../../app/format';
import { normaliseLabel } from '../../app/ground-truth';
import { resultsEndpoint } from '../../app/model-ref';
import { createCorrections } from '../services/corrections';
import { datasetLabels, evaluateRecords, readLabelsCsv, type EvaluateRecordsInput } from '../services/evaluation';
import { writeLabelsCsv } from '../services/evaluation-export';
import { writeHtmlReport } from '../services/report-html-export';
import { classThresholdsKey, parseClassThresholds, unknownThresholdClasses, type ClassThresholdMap } from '../../app/class-thresholds';
import { thresholdRule } from '../../app/roboflow';
import { writeAtomically } from '../services/export-files';
import { resolveDataDir } from '../services/paths';
import { redactSecrets } from '../services/redact';
import { createResultsStore } from '../services/results';
import { createSettingsStore } from '../services/settings-store';
import type { CliIo } from './credentials-commands';
import { parseCommand } from './parse-command';
import { cliMessage } from './cli-messages';
import { runInferCommand, type InferRun } from './infer-command';

// `classify-desk evaluate`: classifies what is not classified yet by running `infer` itself (same
// options, same journal, so stored results are reused and nothing is sent twice), then evaluates
// the folder's stored results against its ground truth (class-named subfolders or --labels CSV,
// with the app's corrections on top) and prints accuracy and the confusion matrix.

export const evaluateUsage = `Usage: classify-desk evaluate <folder> --model <project/version> [options]

Evaluates a model on a folder whose images have known classes: images in subfolders named after
the classes (cat/..., Golden_Retriever/...; nested deeper is fine, the nearest class-named folder
wins; names match the model's classes ignoring case, '-', '_' and spaces; --map handles the rest)
or listed in a labels CSV (path,label). Images
not classified yet by this model are classified first, exactly as \`classify-desk infer\` does;
stored results are reused. Corrections made in the app override the ground truth.

Options:
  --model P/V          model id, e.g. cats-vs-dogs/3 (default: the app's model setting)
  --labels FILE        a CSV of path,label rows (paths relative to the folder; a header is optional);
                       when given, folder names are not used
  --threshold T        confidence 0-1 below which a single-label image counts as "no prediction"
                       (wrong, and in no cell of the matrix); default: the app's threshold (0.4)
  --map NAME=CLASS     treat folder or CSV name NAME as class CLASS; --map NAME= ignores NAME
                       (repeatable); the mapping made in the app for this folder applies too,
                       and --map overrides it name by name
  --thresholds C=T[,C=T...]
                       per-class thresholds overriding --threshold for those classes (repeatable),
                       e.g. --thresholds blue=0.9,red=0.5; default: the ones saved in the app for
                       this folder and model
  --out FILE           write the JSON report (format classify-desk-eval/v2, see docs/export-format.md)
  --html FILE          write a self-contained HTML report (metrics, confusion matrix, threshold sweep,
                       per-class table, the mistakes with thumbnails) that opens in any browser
  --labels-out FILE    write the folder's labels as a CSV (path,label,label_source): the app's
                       correction, else the folder/CSV truth, else the model's label at the threshold
  --only-confirmed     with --labels-out: leave out images whose only label is the model's prediction
  --api-url, --api-key, --profile, --concurrency, --max-size, --engine, --no-recursive, --force
                       as for classify-desk infer (see classify-desk infer --help)
  -h, --help           this help

Images without ground truth and images that failed are counted ("unlabeled", "errors"), never
dropped. The report (--out) holds everything printed here plus the misclassified images.
Exit codes: 0 the evaluation was made (failed images are counted in it); 1 nothing to evaluate
(no image has both a result and a known class); 2 bad arguments or a systemic error (bad key,
unknown model, endpoint unreachable).`;

const options = {
  model: { type: 'string' },
  labels: { type: 'string' },
  threshold: { type: 'string' },
  map: { type: 'string', multiple: true },
  out: { type: 'string' },
  thresholds: { type: 'string', multiple: true },
  html: { type: 'string' },
  'labels-out': { type: 'string' },
  'only-confirmed': { type: 'boolean', default: false },
  'api-url': { type: 'string' },
  'api-key': { type: 'string' },
  profile: { type: 'string' },
  concurrency: { type: 'string' },
  'max-size': { type: 'string' },
  engine: { type: 'string' },
  'no-recursive': { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Options handed to `infer` unchanged. */
const passThrough = ['model', 'api-url', 'api-key', 'profile', 'concurrency', 'max-size', 'engine'] as const;

const bad = (message: string) => new AppFailure('invalid_input', message);

function parseMapping(entries: readonly string[]): Record<string, string | null> {
  const mapping: Record<string, string | null> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw bad(`--map "${entry}" must be NAME=CLASS (or NAME= to ignore NAME).`);
    const target = entry.slice(eq + 1).trim();
    mapping[normaliseLabel(entry.slice(0, eq))] = target === '' ? null : target;
  }
  return mapping;
}

/** Runs `classify-desk evaluate`; resolves to the exit code. */
export async function runEvaluate(argv: string[], io: CliIo): Promise<number> {
  const say = (line: string) => io.stderr.write(line + '\n');
  const parsed = parseCommand('evaluate', argv, options, evaluateUsage, io);
  if ('exit' in parsed) return parsed.exit;
  const { values, positionals } = parsed;
  const secret = values['api-key']?.trim() || io.env.ROBOFLOW_API_KEY?.trim() || '';
  const fail = (error: unknown): number => {
    const message = error instanceof AppFailure || isAppError(error) ? error.message : String((error as Error)?.message ?? error);
    say(`classify-desk evaluate: ${cliMessage(redactSecrets(message, secret ? [secret] : []))}`);
    return 2;
  };

  let folder: string;
  let threshold: number | undefined;
  let mapping: Record<string, string | null>;
  let classThresholds: ClassThresholdMap | undefined;
  let csv: Awaited<ReturnType<typeof readLabelsCsv>> | null = null;
  try {
    if (positionals.length !== 1) throw bad('Name exactly one folder to evaluate. See classify-desk evaluate --help.');
    folder = path.resolve(positionals[0]);
    const stat = await fs.stat(folder).catch(() => null);
    if (!stat?.isDirectory()) throw bad(`"${positionals[0]}" is not a folder; evaluate needs a folder of images.`);
    if (values.threshold !== undefined) {
      threshold = Number(values.threshold);
      if (values.threshold.trim() === '' || !(threshold >= 0 && threshold <= 1)) throw bad('--threshold must be a number from 0 to 1.');
    }
    mapping = parseMapping(values.map ?? []);
    if (values.thresholds) {
      classThresholds = {};
      for (const text of values.thresholds) {
        const parsed = parseClassThresholds(text);
        if (!parsed.ok) throw bad(parsed.message);
        Object.assign(classThresholds, parsed.value);
      }
    }
    if (values.html && !/^\.html?$/i.test(path.extname(values.html))) throw bad(`--html must name a .html file (got "${values.html}").`);
    if (values.labels) csv = await readLabelsCsv(path.resolve(values.labels));
    if (values.out && path.extname(values.out).toLowerCase() !== '.json') throw bad(`--out must name a .json file (got "${values.out}").`);
    if (values['labels-out'] && path.extname(values['labels-out']).toLowerCase() !== '.csv') throw bad(`--labels-out must name a .csv file (got "${values['labels-out']}").`);
    if (values['only-confirmed'] && !values['labels-out']) throw bad('--only-confirmed applies to --labels-out; give --labels-out FILE.csv too.');
  } catch (error) {
    return fail(error);
  }

  // 1. Classify what is missing, through infer itself; it hands back the endpoint, model and
  //    threshold it resolved (flags, environment, saved settings), so both commands agree, and the
  //    folder as it scanned it.
  try {
    const inferArgs = [folder];
    for (const name of passThrough) if (values[name] !== undefined) inferArgs.push(`--${name}`, values[name] as string);
    if (threshold !== undefined) inferArgs.push('--confidence', String(threshold));
    if (values['no-recursive']) inferArgs.push('--no-recursive');
    if (values.force) inferArgs.push('--force');
    let run: InferRun | undefined;
    const inferred = await runInferCommand(inferArgs, io, (r) => (run = r));
    // 1 = some images failed: they are counted as errors below. 2 = nothing to evaluate.
    if (inferred === 2) return 2;
    if (!run) return fail(new AppFailure('internal', 'The classification step ended without results; run classify-desk infer on the folder to see why.'));
    const { settings, ref, library } = run;
    const endpoint = resultsEndpoint(ref);

    // 2. Evaluate the stored results of exactly the images infer saw.
    const dataDir = resolveDataDir(io.env);
    const cliFolder = run.library.folders[0];
    const store = createResultsStore({ dataDir });
    const corrections = createCorrections({ dataDir });
    try {
      const journal = await store.journal(cliFolder.info.folderId, ref);
      const saved = createSettingsStore({ dataDir }).get();
      const overrides = classThresholds ?? saved.classThresholds[classThresholdsKey(cliFolder.info.folderId, settings.model)];
      const recordsInput: EvaluateRecordsInput = {
        model: settings.model,
        entries: [...cliFolder.entries.values()],
        results: () => store.stored(journal),
        threshold: thresholdRule(threshold ?? settings.threshold, overrides),
        csv: csv?.labels,
        // The app's mapping for this folder, with --map on top.
        mapping: { ...saved.groundTruthMappings[cliFolder.info.folderId], ...mapping },
        corrections: await corrections.labels(cliFolder.info.folderId),
        folder: cliFolder.info.root,
        endpoint,
        withMistakes: true,
        withSweep: Boolean(values.html),
      };
      const evaluation = evaluateRecords(recordsInput);
      const unknown = unknownThresholdClasses(overrides ?? {}, evaluation.metrics.classes);
      if (unknown.length) say(`--thresholds: ${unknown.map((name) => `"${name}"`).join(', ')} is no class of the model; classes: ${evaluation.metrics.classes.join(', ')}.`);
      if (values['labels-out']) {
        const labels = datasetLabels(recordsInput, { onlyConfirmed: values['only-confirmed'] });
        const written = await writeLabelsCsv(path.resolve(values['labels-out']), labels, dataDir);
        say(`Labels of ${plural(written.count, 'image')} written to ${values['labels-out']}`);
      }
      const gt = evaluation.groundTruth;
      for (const p of csv?.problems ?? []) say(`labels CSV line ${p.line}: ${p.message}`);
      for (const p of gt.problems) say(`labels CSV: ${p.message}`);
      if (gt.unknownPaths.length) {
        say(`labels CSV: ${gt.unknownPaths.length} path(s) name no image of the folder, e.g. ${gt.unknownPaths.slice(0, 3).join(', ')}`);
      }
      for (const u of gt.unmatched) {
        say(`"${u.name}" (${u.count} image${u.count === 1 ? '' : 's'}) matches no class of the model; ` +
          `map it with --map "${u.name}=CLASS" or ignore it with --map "${u.name}=". Classes: ${evaluation.metrics.classes.join(', ')}.`);
      }
      if (evaluation.metrics.evaluated === 0) {
        // A table of dashes and zeros would look like an evaluation; say why there is none.
        const m = evaluation.metrics;
        say(`classify-desk evaluate: nothing to evaluate: no image has both a result and a known class ` +
          `(${plural(m.total, 'image')}: ${m.unlabeled} unlabeled, ${m.errors} failed, ${m.pending} not classified). ` +
          'Put images in folders named after the classes, or give --labels.');
        return 1;
      }
      io.stdout.write(formatEvaluation(settings.model, evaluation.metrics));
      if (values.out) {
        const text = JSON.stringify(evaluation.report, null, 2) + '\n';
        await writeAtomically(path.resolve(values.out), (handle) => handle.writeFile(text, 'utf8'), dataDir);
        say(`Report written to ${values.out}`);
      }
      if (values.html) {
        await writeHtmlReport(path.resolve(values.html), evaluation, (id) => library.resolve(cliFolder.info.folderId, id), dataDir);
        say(`HTML report written to ${values.html}`);
      }
      return 0;
    } finally {
      await corrections.close();
      await store.close();
    }
  } catch (error) {
    return fail(error);
  }
}
