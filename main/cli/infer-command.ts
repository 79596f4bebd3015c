import path from 'node:path';
import { AppFailure, isAppError, type AppError } from '../../app/errors';
import { plural } from '../../app/format';
import { recordLabels, type ExportHeader } from '../../app/export-rows';
import { classThresholdsKey } from '../../app/class-thresholds';
import { thresholdRule } from '../../app/roboflow';
import { resultsEndpoint, type ModelRef } from '../../app/model-ref';
import {
  endpointBase,
  isPlainHttpOffMachine,
  endpointBaseUrls,
  requestLimitOf,
  modelIdPattern,
  normaliseSettings,
  type EndpointKind,
  type Settings,
} from '../../app/settings';
import type { ExportFormat, JobProgress, ResultRecord } from '../../app/types';
import type { Emit } from '../ports';
import { createCorrections } from '../services/corrections';
import { tagSelector, tagTextProblem } from '../../app/annotations';
import { writeExport, type ExportSource } from '../services/exporter';
import { createEngineClassifier } from '../services/engine-classifier';
import { createInference, type Inference } from '../services/inference';
import { createModelRefs } from '../services/model-refs';
import type { OnDeviceClassifier } from '../services/on-device/classifier';
import { createLimiter } from '../services/limit';
import { resolveDataDir } from '../services/paths';
import { redactSecrets } from '../services/redact';
import { createResultsStore, type ResultsStore } from '../services/results';
import { createRoboflowClient } from '../services/roboflow';
import { isInside } from '../services/scan';
import { createSettingsStore } from '../services/settings-store';
import { buildCliLibrary, folderIds, type CliFolder, type CliLibrary } from './cli-library';
import type { CliIo } from './credentials-commands';
import { parseCommand } from './parse-command';
import { cliMessage, resentNote, tsvCell } from './cli-messages';
import { keychainKeyGate } from './keychain-key';
import { createProgressOutput, type ProgressOutput } from './progress-output';

// `classify-desk infer`: the app's own services (client, queue, results store, exporter) over the
// folders, images and URLs named on the command line, journalling into the app's data dir so the
// app shows what the CLI classified. Exit codes: 0 every image has a result; 1 some images failed
// (listed on stderr with their codes); 2 a systemic error or bad arguments (one line).

export const inferUsage = `Usage: classify-desk infer <folder|image|https-url>... --model <project/version> [options]

Classifies every image of the given folders (recursively), single images and https image URLs
with a Roboflow classification model. Images already classified by the same endpoint and model
(file unchanged) are skipped, so an interrupted run resumes where it stopped.

Options:
  --model P/V          model id, e.g. cats-vs-dogs/3 (default: the app's model setting)
  --api-url URL        endpoint: https://serverless.roboflow.com (default), https://classify.roboflow.com,
                       or a self-hosted Roboflow Inference server such as http://localhost:9001
  --api-key KEY        API key (else env ROBOFLOW_API_KEY, else the key saved by \`classify-desk login\`)
  --engine E           roboflow-api (default: the app's setting) or on-device: run the model downloaded
                       with \`classify-desk models pull\` on this computer, with no key and no network
  --profile P          keychain profile to read the key from (default: the app's profile)
  --concurrency N      requests in flight, 1-32 (default 8)
  --confidence C       threshold 0-1 for labels and exports (default 0.4); every class score is
                       always requested and stored
  --max-size PX        downscale images whose longest side exceeds PX before upload; 0 = never (default 1024)
  --no-recursive       only the top level of each folder
  --force              classify again even images that already have a result
  --out FILE           write the results as JSON (.json, format classify-desk/v2, see docs/export-format.md)
                       or CSV (.csv)
  --annotate DIR       write annotated copies (caption "Class: X | Confidence: Y") into DIR
  --only tag:NAME      write (--out, --annotate, the stdout lines) only the images tagged NAME in
                       Classify Desk; every image named is still classified
  -h, --help           this help

Without --out, one line per image goes to stdout: path, status, label, confidence (tab-separated).
Progress goes to stderr. Data dir: CLASSIFY_DESK_HOME, else the app's data folder.

Exit codes: 0 every image has a result; 1 some images failed (each listed with its error code);
2 a systemic error (bad key, unknown model, endpoint unreachable) or bad arguments; 130 interrupted
(Ctrl-C; the results so far are kept and the same command resumes).`;

const options = {
  model: { type: 'string' },
  'api-url': { type: 'string' },
  'api-key': { type: 'string' },
  profile: { type: 'string' },
  concurrency: { type: 'string' },
  confidence: { type: 'string' },
  'max-size': { type: 'string' },
  'no-recursive': { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  out: { type: 'string' },
  annotate: { type: 'string' },
  engine: { type: 'string' },
  only: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const bad = (message: string) => new AppFailure('invalid_input', message);

function intOption(raw: string | undefined, name: string, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw bad(`--${name} must be a whole number from ${min} to ${max}.`);
  return value;
}

/** The endpoint kind of a URL: Roboflow's hosts keep their kind (and request limit). */
export function endpointFor(raw: string): Pick<Settings, 'endpointKind' | 'endpointUrl'> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad(`--api-url "${raw}" is not a URL; use e.g. https://serverless.roboflow.com or http://localhost:9001.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('--api-url must be an http:// or https:// URL.');
  const base = url.href.replace(/\/+$/, '');
  const known = (Object.entries(endpointBaseUrls) as Array<[EndpointKind, string]>).find(([, u]) => u === base);
  if (known) return { endpointKind: known[0], endpointUrl: '' };
  if (/^serverless\.roboflow\./.test(url.hostname)) return { endpointKind: 'serverless', endpointUrl: base };
  if (url.hostname === 'classify.roboflow.com') return { endpointKind: 'hosted', endpointUrl: base };
  return { endpointKind: 'self-hosted', endpointUrl: base };
}

/** `--only tag:NAME`: the tag; anything else is refused. */
function onlyTagOption(value: string): string {
  const tag = tagSelector(value);
  if (tag === null) throw bad(`--only must be tag:NAME (got "${value.slice(0, 80)}").`);
  const problem = tagTextProblem(tag);
  if (problem) throw bad(`--only "${value.slice(0, 80)}": ${problem}`);
  return tag;
}

/** The rows whose image carries `tag` (tags set in the app, read from the same data dir). */
async function taggedRows<R extends { folder: CliFolder; id: string }>(rows: R[], tag: string, dataDir: string): Promise<R[]> {
  const corrections = createCorrections({ dataDir });
  try {
    const lookups = new Map<CliFolder, (id: string) => { tags?: string[] } | undefined>();
    for (const row of rows) if (!row.folder.web && !lookups.has(row.folder)) lookups.set(row.folder, await corrections.lookup(row.folder.info.folderId));
    return rows.filter((row) => lookups.get(row.folder)?.(row.id)?.tags?.includes(tag) === true);
  } finally {
    await corrections.close();
  }
}

function exportFormatOf(file: string): ExportFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  throw bad(`--out must name a .json or .csv file (got "${file}").`);
}

/** What a run resolved (flags, environment, saved settings) and scanned, for a command built on
 *  infer (evaluate), so it neither resolves the settings again nor rescans the folders. */
export interface InferRun {
  settings: Settings;
  /** The model whose results the run stored (engine included). */
  ref: ModelRef;
  library: CliLibrary;
}

type InferValues = ReturnType<typeof parseInferArgs>['values'];
const parseInferArgs = (argv: string[], io: CliIo) => {
  const parsed = parseCommand('infer', argv, options, inferUsage, io);
  if ('exit' in parsed) throw parsed;
  return parsed;
};

/** The settings the flags set (only those given). */
function flagSettings(values: InferValues): Partial<Settings> {
  const threshold = values.confidence === undefined ? undefined : Number(values.confidence);
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw bad('--confidence must be a number from 0 to 1.');
  const engine = values.engine;
  if (engine !== undefined && engine !== 'roboflow-api' && engine !== 'on-device') throw bad('--engine must be roboflow-api or on-device.');
  const given: Partial<Settings> = {
    ...(values['api-url'] ? endpointFor(values['api-url']) : {}),
    model: values.model,
    engine,
    concurrency: intOption(values.concurrency, 'concurrency', 1, 32),
    maxUploadSize: intOption(values['max-size'], 'max-size', 0, 16384),
    threshold,
    profile: values.profile,
  };
  return Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)) as Partial<Settings>;
}

/** The settings of this run: the app's, with the flags on top; refuses bad flags before any work. */
function resolveSettings(values: InferValues, inputs: string[], dataDir: string): { settings: Settings; format: ExportFormat | null } {
  if (inputs.length === 0) throw bad('Name at least one folder, image or https image URL. See classify-desk infer --help.');
  const settings = normaliseSettings({ ...createSettingsStore({ dataDir }).get(), ...flagSettings(values) });
  if (!settings.model) throw bad('Give the model with --model project/version, e.g. --model cats-vs-dogs/3.');
  if (!modelIdPattern.test(settings.model)) throw bad(`--model "${settings.model}" is not project/version, e.g. cats-vs-dogs/3.`);
  if (settings.engine === 'roboflow-api' && !endpointBase(settings)) throw bad('Give the endpoint with --api-url (the saved setting is a self-hosted endpoint without a URL).');
  return { settings, format: values.out ? exportFormatOf(values.out) : null };
}

/** The run's engines: the shared engine classifier and the ModelRef its results are kept under. On
 *  this computer the downloaded model is opened first (its weights' hash is part of the ref). */
async function openEngines(settings: Settings, dataDir: string): Promise<{ classifier: ReturnType<typeof createEngineClassifier>; ref: ModelRef; device: OnDeviceClassifier | null }> {
  let device: OnDeviceClassifier | null = null;
  let sha256: string | undefined;
  if (settings.engine === 'on-device') {
    // Loaded only for this engine: the API path pays nothing for it.
    ({ device, sha256 } = await (await import('./models-commands')).openOnDevice(dataDir, settings));
  }
  const refs = createModelRefs({ settings: { get: () => settings }, deviceSha: (model) => (model === settings.model ? sha256 : undefined) });
  const api = createRoboflowClient({
    timeoutMs: settings.timeoutMs,
    authMode: settings.authMode,
    maxUploadSize: settings.maxUploadSize,
    requestLimit: requestLimitOf(settings),
    // Huge files are read and prepared one at a time, whatever the concurrency.
    largeFiles: createLimiter(1),
  });
  const opened = device;
  const classifier = createEngineClassifier({ api, device: () => (opened ? Promise.resolve(opened) : Promise.reject(new AppFailure('internal', 'The on-device engine is not open.'))) });
  return { classifier, ref: refs.require(), device };
}

interface Row {
  folder: CliFolder;
  id: string;
  record: ResultRecord | undefined;
}

/** How an image is named in the CLI's output: its id in a single folder, else relative to cwd. */
function namer(library: CliLibrary): (folder: CliFolder, id: string) => string {
  const single = library.folders.length === 1 && !library.folders[0].web;
  return (folder, id) => (folder.web ? id : single ? id : path.relative(process.cwd(), path.join(folder.info.root, id)).split(path.sep).join('/'));
}

/** Runs each folder's job in turn; the totals, or the error that stopped a job. */
async function runJobs(inference: Inference, library: CliLibrary, progress: ProgressOutput, setLabel: (label: string) => void, force: boolean): Promise<{ done: number; skipped: number } | AppError> {
  const totals = { done: 0, skipped: 0 };
  for (const [index, folder] of library.folders.entries()) {
    const ids = folderIds(folder);
    if (ids.length === 0) continue;
    setLabel(library.folders.length > 1 ? `[${index + 1}/${library.folders.length}] ${folder.info.name}` : folder.info.name);
    const job = await inference.start({ folderId: folder.info.folderId, ids, force });
    const final = await inference.wait(job.jobId);
    progress.finish();
    if (final.state === 'stopped') return final.error ?? { code: 'internal', message: 'The run stopped.' };
    totals.done += final.done;
    totals.skipped += final.skipped;
  }
  return totals;
}

async function collectRows(store: ResultsStore, library: CliLibrary, ref: ModelRef): Promise<Row[]> {
  const rows: Row[] = [];
  for (const folder of library.folders) {
    const journal = await store.journal(folder.info.folderId, ref);
    for (const id of folderIds(folder)) rows.push({ folder, id, record: journal.get(id) });
  }
  return rows;
}

/** --out: the JSON or CSV export, with the corrections made in the app (same data dir). */
async function writeOutFile(rows: Row[], run: InferRun, format: ExportFormat, out: string, dataDir: string): Promise<void> {
  const corrections = createCorrections({ dataDir });
  const reviews = new Map<CliFolder, Awaited<ReturnType<typeof corrections.review>>>();
  try {
    for (const folder of run.library.folders) if (!folder.web) reviews.set(folder, await corrections.review(folder.info.folderId));
  } finally {
    await corrections.close();
  }
  const shown = namer(run.library);
  const sources: ExportSource[] = [];
  for (const { folder, id, record } of rows) {
    const imagePath = folder.web ? id : path.join(folder.info.root, ...id.split('/'));
    // Image bytes are read only through the gate (no link may lead out of the folder).
    const file = folder.web ? undefined : await run.library.resolve(folder.info.folderId, id).catch(() => undefined);
    sources.push({ id: shown(folder, id), imagePath, file, record, review: reviews.get(folder)?.(id) });
  }
  const single = run.library.folders.length === 1 && !run.library.folders[0].web;
  const header = exportHeader(run, single ? run.library.folders[0].info.root : process.cwd());
  await writeExport({ format, path: out, header, sources, dataDir });
}

/** The per-class thresholds saved in the app for this folder and model, if any (web images have none). */
function savedOverrides(run: InferRun, folder: CliFolder): Record<string, number> | undefined {
  return folder.web ? undefined : run.settings.classThresholds[classThresholdsKey(folder.info.folderId, run.settings.model)];
}

/** The export header: one folder's exports carry that folder's saved per-class thresholds, as the app's do. */
function exportHeader(run: InferRun, folder: string): ExportHeader {
  const only = run.library.folders.length === 1 ? run.library.folders[0] : null;
  const classThresholds = only ? savedOverrides(run, only) : undefined;
  return { model: run.settings.model, endpoint: resultsEndpoint(run.ref), threshold: run.settings.threshold, ...(classThresholds ? { classThresholds } : {}), created: new Date().toISOString(), folder };
}

/** --annotate: captioned copies; says why an image with a result got none. */
async function writeAnnotated(rows: Row[], failures: Row[], run: InferRun, target: string, dataDir: string, say: (line: string) => void): Promise<void> {
  const shown = namer(run.library);
  const sources: ExportSource[] = [];
  for (const { folder, id, record } of rows.filter((row) => !row.folder.web)) {
    const file = await run.library.resolve(folder.info.folderId, id).catch(() => undefined);
    sources.push({ id: shown(folder, id), imagePath: path.join(folder.info.root, id), file, record });
  }
  const header = exportHeader(run, '');
  const annotated = await writeExport({ format: 'annotated', path: target, header, sources, protectedRoots: run.library.folders.filter((f) => !f.web).map((f) => f.info.root), dataDir });
  // Images without a result are listed with the failures; say why any other has no copy.
  const failed = new Set(failures.map((f) => shown(f.folder, f.id)));
  const missing = (annotated.skipped ?? []).filter((s) => s.code !== 'not_classified' && !failed.has(s.id));
  say(`Annotated ${plural(annotated.count, 'image')} into ${annotated.path}.`);
  if (missing.length) {
    say(`${plural(missing.length, 'image')} could not be annotated:`);
    for (const s of missing) say(`  ${tsvCell(s.id)}: ${s.code}: ${s.message}`);
  }
}

/** One line per image on stdout: path, status, label(s) and confidence at the threshold. */
function printRows(rows: Row[], run: InferRun, io: CliIo): void {
  const shown = namer(run.library);
  for (const { folder, id, record } of rows) {
    // The label and confidence at the threshold (and the folder's saved per-class ones), as the exports and the app show them.
    const labels = recordLabels(record, thresholdRule(run.settings.threshold, savedOverrides(run, folder)));
    const top = labels?.scored[0];
    const cells = [tsvCell(shown(folder, id)), record?.status ?? 'pending', tsvCell(labels?.labels.join(';') ?? record?.error?.code ?? ''), top ? top[1].toFixed(4) : ''];
    io.stdout.write(cells.join('\t') + '\n');
  }
}

/** The closing lines on stderr; the exit code (1 when some image has no result). */
function summarise(rows: Row[], failures: Row[], run: InferRun, totals: { done: number; skipped: number }, seconds: string, secret: string | undefined, say: (line: string) => void): number {
  const shown = namer(run.library);
  const resent = rows.flatMap(({ folder, id, record }) => {
    const note = record?.status === 'done' && record.sent ? resentNote(tsvCell(shown(folder, id)), record.sent, run.settings.maxUploadSize) : null;
    return note ? [note] : [];
  });
  if (resent.length) {
    say(`${plural(resent.length, 'image was', 'images were')} too large for the endpoint and re-sent smaller:`);
    for (const note of resent.slice(0, 20)) say(`  ${note}`);
    if (resent.length > 20) say(`  …and ${resent.length - 20} more (see "sent.refused" in a JSON export).`);
  }
  say(`Classified ${plural(totals.done, 'image')} in ${seconds} s (${totals.skipped} already done, ${failures.length} without a result).`);
  if (!failures.length) return 0;
  say(`${plural(failures.length, 'image')} failed:`);
  for (const { folder, id, record } of failures) {
    const error = record?.error ?? { code: 'internal', message: 'No result was recorded.' };
    say(`  ${tsvCell(shown(folder, id))}: ${error.code}: ${cliMessage(redactSecrets(error.message, secret ? [secret] : []))}`);
  }
  return 1;
}

/** Before any request: bad flags, the plain-http warning, the scanned inputs, an --annotate target
 *  inside an image folder. */
async function prepareRun(values: InferValues, inputs: string[], io: CliIo, say: (line: string) => void): Promise<{ settings: Settings; format: ExportFormat | null; library: CliLibrary; onlyTag: string | null }> {
  const { settings, format } = resolveSettings(values, inputs, resolveDataDir(io.env));
  const onlyTag = values.only !== undefined ? onlyTagOption(values.only) : null;
  if (settings.engine === 'roboflow-api' && isPlainHttpOffMachine(endpointBase(settings))) {
    say(`warning: the API key goes unencrypted over plain http:// to ${new URL(endpointBase(settings)).host} (Authorization header${settings.authMode === 'bearer' ? '' : ' and api_key query'}); anyone on the network path can read it. Use https:// or a server on this machine.`);
  }
  if (values['api-key'] !== undefined) {
    say('warning: --api-key shows the key to other users of this computer (process list, /proc/<pid>/cmdline); use `classify-desk login` or ROBOFLOW_API_KEY instead.');
  }
  const library = await buildCliLibrary(inputs, !values['no-recursive']);
  for (const warning of library.warnings) say(`warning: ${warning}`);
  if (values.annotate) {
    // Refuse before any request rather than after the whole run.
    const out = path.resolve(values.annotate);
    if (library.folders.some((folder) => !folder.web && isInside(folder.info.root, out))) {
      throw bad('--annotate must name a folder outside the image folders, so no original can be overwritten.');
    }
  }
  return { settings, format, library, onlyTag };
}

/** --out, --annotate, or (unless embedded in another command) one line per image on stdout. */
async function writeOutputs(o: { rows: Row[]; failures: Row[]; run: InferRun; values: InferValues; format: ExportFormat | null; dataDir: string; io: CliIo; say: (line: string) => void; embedded: boolean }): Promise<void> {
  if (o.format && o.values.out) await writeOutFile(o.rows, o.run, o.format, o.values.out, o.dataDir);
  if (o.values.annotate) await writeAnnotated(o.rows, o.failures, o.run, o.values.annotate, o.dataDir, o.say);
  if (!o.format && !o.embedded) printRows(o.rows, o.run, o.io);
}

/** The key named on the command line or in the environment (the keychain is asked only when needed). */
const keyGiven = (values: InferValues, env: NodeJS.ProcessEnv): string | undefined => values['api-key']?.trim() || env.ROBOFLOW_API_KEY?.trim() || undefined;

/** Says why the command stopped (one line, no key in it); exit code 2. */
function failWith(say: (line: string) => void, secret: () => string | undefined): (error: unknown) => number {
  return (error) => {
    const e: AppError = error instanceof AppFailure || isAppError(error) ? error : { code: 'internal', message: String((error as Error)?.message ?? error) };
    const key = secret();
    say(`classify-desk infer: ${cliMessage(redactSecrets(e.message, key ? [key] : []))}`);
    return 2;
  };
}

/** Runs `classify-desk infer`; resolves to the exit code. With `onClassified`, the run is embedded
 *  in another command: that callback gets the run once every image was tried, and the per-image
 *  lines are left off stdout (the embedding command prints its own output). */
export async function runInferCommand(argv: string[], io: CliIo, onClassified?: (run: InferRun) => void): Promise<number> {
  const say = (line: string) => io.stderr.write(line + '\n');
  let parsed;
  try {
    parsed = parseInferArgs(argv, io);
  } catch (exit) {
    return (exit as { exit: number }).exit;
  }
  const { values, positionals: inputs } = parsed;
  let secret = keyGiven(values, io.env);
  const fail = failWith(say, () => secret);

  const dataDir = resolveDataDir(io.env);
  let run: InferRun;
  let format: ExportFormat | null;
  let onlyTag: string | null;
  let engines: Awaited<ReturnType<typeof openEngines>>;
  try {
    const prepared = await prepareRun(values, inputs, io, say);
    format = prepared.format;
    onlyTag = prepared.onlyTag;
    engines = await openEngines(prepared.settings, dataDir);
    run = { settings: prepared.settings, ref: engines.ref, library: prepared.library };
  } catch (error) {
    return fail(error);
  }
  const { settings, library } = run;
  const keychainKey = keychainKeyGate({ dataDir, profile: settings.profile, env: io.env, explicitUrls: values['api-url'] ? [values['api-url']] : [] });
  const getApiKey = async (baseUrl: string): Promise<string> => {
    if (!secret) secret = await keychainKey(baseUrl);
    return secret;
  };

  const store = createResultsStore({ dataDir });
  const progress = createProgressOutput(io.stderr as NodeJS.WritableStream & { isTTY?: boolean });
  let label = '';
  const emit: Emit = (event, payload) => {
    if (event === 'jobProgress') progress.update(payload as JobProgress, label);
  };
  const refs = { current: () => run.ref, require: () => run.ref };
  const inference = createInference({ classifier: engines.classifier, results: store, library, settings: { get: () => settings }, refs, getApiKey, emit });
  const started = Date.now();
  try {
    const totals = await runJobs(inference, library, progress, (l) => (label = l), values.force);
    if ('code' in totals) return fail(totals);
    const tried = await collectRows(store, library, run.ref);
    // Every image named was classified: its failure is reported whatever --only writes.
    const failures = tried.filter((r) => r.record?.status !== 'done');
    const rows = onlyTag !== null ? await taggedRows(tried, onlyTag, dataDir) : tried;
    await writeOutputs({ rows, failures, run, values, format, dataDir, io, say, embedded: onClassified !== undefined });
    onClassified?.(run);
    return summarise(rows, failures, run, totals, ((Date.now() - started) / 1000).toFixed(1), secret, say);
  } catch (error) {
    progress.finish();
    return fail(error);
  } finally {
    await inference.close();
    await store.close();
    await engines.device?.close();
  }
}
