import path from 'node:path';
import { AppFailure } from '../../app/errors';
import {
  captionText,
  csvClasses,
  csvHeader,
  csvRow,
  exportDocument,
  exportImage,
  exportModel,
  headerThreshold,
  recordLabels,
  type ExportHeader,
  type ReviewFields,
} from '../../app/export-rows';
import { exportFileName, exportFormats } from '../../app/export-formats';
import { resultsEndpoint } from '../../app/model-ref';
import type { Settings } from '../../app/settings';
import type { Threshold } from '../../app/roboflow';
import { classThresholdsKey } from '../../app/class-thresholds';
import { comparePaths } from '../../app/view-filter';
import { plural } from '../../app/format';
import type { ExportDone, ExportFormat, ExportSkip, ResultRecord } from '../../app/types';
import type { Ports } from '../ports';
import { annotateImage } from './annotate';
import { copyAtomically, createNamer, refuseInside, safeName, writeAtomically } from './export-files';
import type { JobLibrary } from './inference';
import { naturalOrder } from './listing-cache';
import { nextTurn } from './next-turn';
import { isStale, isWebId, type ResultsStore } from './results';

// Exports of a folder's results for the current endpoint + model: JSON and CSV files (rows in path
// order), annotated JPEGs mirroring the folder, and copies of the images sorted into one folder per
// class (labels at the threshold, roboflow.ts's rule: multi-label images go into each predicted
// class, images with no class above the threshold into "_below_threshold"; sub-folders kept by
// default). Pending and failed images get no file, and neither does one that cannot be read or
// decoded: each is listed in the result's `skipped` with why, never a silent gap. Every
// file is written atomically; an output folder inside the image folder is refused, so an export
// can never overwrite an original. The exporter never sees the API key.

export interface ExportSource {
  id: string;
  /** Absolute file path, or the URL for web images. */
  imagePath: string;
  /** Set for local files (annotated and class-folder exports need the bytes). */
  file?: string;
  record?: ResultRecord;
  stale?: boolean;
  /** Reads `record` and `stale` when a writer reaches the image, in place of holding them for the
   *  whole export (main's: at 250,000 records that was 300 MB, and V8's collection of it held
   *  main's event loop 0.45 s). */
  read?: () => Pick<ExportSource, 'record' | 'stale'>;
  /** The image's review state, where the caller knows it per image (the CLI, over many folders). */
  review?: Partial<ReviewFields>;
}

export interface ExportOptions {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Review state per image (corrections). */
  review?: (id: string) => Partial<ReviewFields> | undefined;
}

export interface WriteExportRequest {
  format: ExportFormat;
  path: string;
  header: ExportHeader;
  sources: ExportSource[];
  /** The CSV's class columns, when the caller knows them without reading every record (main: from
   *  the stored briefs); else found in the records. */
  classes?: readonly string[];
  /** Folders an output directory must stay out of. */
  protectedRoots?: string[];
  /** The app's data folder: no export may be written into it. */
  dataDir?: string;
  /** Class folders: mirror each image's sub-folders under its class folder (default true), so
   *  same-named files from different sub-folders do not collide. */
  keepSubfolders?: boolean;
}

const progressEvery = 50;
/** Images annotated or copied at once in folder exports. */
const folderParallelism = 4;
/** Images whose stored records are read between two turns of main's event loop. */
const collectSlice = 2_000;

/** What a writer gets: the request, its images in path order, the resolved target, and `step`,
 *  which counts an image done (throwing once the export is cancelled) and reports progress. */
interface WriteRun {
  request: WriteExportRequest;
  sources: ExportSource[];
  target: string;
  opts: ExportOptions;
  step(): void;
}

interface FormatWriter {
  /** Whether the writer reads the images' bytes (the port then resolves each file through the library's gate). */
  readsImages: boolean;
  write(run: WriteRun): Promise<ExportDone>;
}

/** One writer per format of app/export-formats.ts: a format without one does not compile. */
const writers: Record<ExportFormat, FormatWriter> = {
  json: { readsImages: false, write: writeJson },
  csv: { readsImages: false, write: writeCsv },
  annotated: { readsImages: true, write: (run) => writeImageFolder(run, annotateInto) },
  'class-folders': { readsImages: true, write: (run) => writeImageFolder(run, copyIntoClasses) },
};

/** Writes one export of the given images; the building block of the port and the CLI. */
export async function writeExport(request: WriteExportRequest, opts: ExportOptions = {}): Promise<ExportDone> {
  // Rows and files in path order (the grid's name order), whatever order the folder was scanned
  // in: ordered in steps, with main's other work served between them (a profile of an export of
  // 250,000 images put 1.6 s of main's one stretch in a sort at once).
  const sources = await inPathOrder(request.sources);
  const total = sources.length;
  let done = 0;
  const step = () => {
    done++;
    if (opts.signal?.aborted) throw new AppFailure('cancelled', 'Export cancelled; nothing partial was left behind.');
    if (done % progressEvery === 0 || done === total) opts.onProgress?.(done, total);
  };
  if (opts.signal?.aborted) throw new AppFailure('cancelled', 'Export cancelled.');
  return writers[request.format].write({ request, sources, target: path.resolve(request.path), opts, step });
}

/** The source with its record, read now when it is read on demand. */
const withRecord = (s: ExportSource): ExportSource => (s.read ? { ...s, ...s.read() } : s);

/** The sources in path order: as they are when they already are (a cached listing comes in that
 *  order), else by the name index's order (the grid's), computed in steps. */
async function inPathOrder(sources: readonly ExportSource[]): Promise<ExportSource[]> {
  let sorted = true;
  for (let i = 1; i < sources.length && sorted; i++) {
    if (i % collectSlice === 0) await nextTurn();
    sorted = comparePaths(sources[i - 1].id, sources[i].id) <= 0;
  }
  if (sorted) return [...sources];
  const order = await naturalOrder(sources.map((s) => s.id), nextTurn);
  return order ? Array.from(order, (i) => sources[i]) : [...sources];
}

async function writeJson({ request, sources, target, opts, step }: WriteRun): Promise<ExportDone> {
  const { header } = request;
  const total = sources.length;
  await writeAtomically(target, async (handle) => {
    const doc = exportDocument(header, []);
    const head = JSON.stringify(doc, null, 2);
    // Stream the images one per line so 50k results never sit in memory as one string.
    const open = head.slice(0, head.lastIndexOf('[') + 1);
    await handle.write(open + '\n');
    const chunk: string[] = [];
    for (const [i, listed] of sources.entries()) {
      const s = withRecord(listed);
      const image = exportImage({ id: s.id, imagePath: s.imagePath, threshold: headerThreshold(header), record: s.record, stale: s.stale, review: s.review ?? opts.review?.(s.id) });
      chunk.push('    ' + JSON.stringify(image) + (i < total - 1 ? ',' : ''));
      if (chunk.length >= 500) await handle.write(chunk.splice(0).join('\n') + '\n');
      step();
    }
    await handle.write((chunk.length ? chunk.join('\n') + '\n' : '') + '  ]\n}\n');
  }, request.dataDir);
  return { path: target, count: total, format: request.format };
}

/** The classes of every stored response, parsed in slices (0.7 s at 250,000 at once). */
async function classesOf(sources: readonly ExportSource[]): Promise<string[]> {
  const seen = new Set<string>();
  for (let at = 0; at < sources.length; at += collectSlice) {
    for (const cls of csvClasses(sources.slice(at, at + collectSlice).map((s) => withRecord(s).record))) seen.add(cls);
    await nextTurn();
  }
  return [...seen].sort();
}

async function writeCsv({ request, sources, target, opts, step }: WriteRun): Promise<ExportDone> {
  const { header } = request;
  const classes = request.classes ?? (await classesOf(sources));
  await writeAtomically(target, async (handle) => {
    let chunk = csvHeader(classes);
    for (const listed of sources) {
      const s = withRecord(listed);
      chunk += csvRow(s.id, s.record, classes, headerThreshold(header), s.review ?? opts.review?.(s.id));
      if (chunk.length > 1 << 16) {
        await handle.write(chunk);
        chunk = '';
      }
      step();
    }
    await handle.write(chunk);
  }, request.dataDir);
  return { path: target, count: sources.length, format: request.format };
}

/** An image of a folder export that has labels and readable bytes. */
interface FolderImage {
  source: ExportSource;
  file: string;
  labels: NonNullable<ReturnType<typeof recordLabels>>;
  /** Its sub-folders (safe names) and its own file name. */
  dirs: string[];
  base: string;
}

interface FolderRun {
  target: string;
  threshold: Threshold;
  keepSubfolders: boolean;
  name: ReturnType<typeof createNamer>;
  /** The image got its file(s). */
  written(): void;
  skip(skip: ExportSkip): void;
}

/** Names an image's output(s) at once, so clashes resolve in path order on every run, and
 *  answers the work that writes them (run a few at a time). */
type FolderItem = (image: FolderImage, run: FolderRun) => Promise<() => Promise<void>>;

/** An annotated JPEG mirroring the image's place in the folder; an image that cannot be decoded is skipped. */
const annotateInto: FolderItem = async ({ source, file, dirs, base }, run) => {
  const jpegName = /\.jpe?g$/i.test(base) ? base : `${base.replace(/\.[^.]+$/, '')}.jpg`;
  const out = await run.name(path.join(run.target, ...dirs), jpegName);
  const caption = captionText(source.record, run.threshold) ?? '';
  return () =>
    annotateImage(file, caption, out).then(
      () => run.written(),
      (error: unknown) => run.skip({ id: source.id, code: 'bad_image', message: `It could not be decoded for drawing (${errorText(error)}).` }),
    );
};

/** A copy in each predicted class's folder ("_below_threshold" when none passed), sub-folders kept unless flat. */
const copyIntoClasses: FolderItem = async ({ file, labels, dirs }, run) => {
  const outs: string[] = [];
  const sub = run.keepSubfolders ? dirs : [];
  for (const cls of labels.labels.length ? labels.labels : ['_below_threshold']) {
    outs.push(await run.name(path.join(run.target, safeName(cls, '_unnamed'), ...sub), path.basename(file)));
  }
  return async () => {
    for (const out of outs) await copyAtomically(file, out);
    run.written();
  };
};

/** A folder export: one `item` per image with labels and bytes, the others listed in `skipped`. */
async function writeImageFolder({ request, sources, target, opts }: WriteRun, item: FolderItem): Promise<ExportDone> {
  const total = sources.length;
  let done = 0;
  await refuseInside(request.protectedRoots ?? [], target, request.dataDir);
  let count = 0;
  const skipped: ExportSkip[] = [];
  const run: FolderRun = {
    target,
    threshold: headerThreshold(request.header),
    keepSubfolders: request.keepSubfolders ?? true,
    name: createNamer(),
    written: () => void count++,
    skip: (skip) => void skipped.push(skip),
  };
  let failure: unknown = null;
  // A few images at a time keep sharp's threads busy; names are handed out in order first, so
  // clashes resolve the same way on every run.
  const running = new Set<Promise<void>>();
  const launch = async (task: () => Promise<void>) => {
    const p: Promise<void> = task()
      .catch((error: unknown) => void (failure ??= error))
      .finally(() => {
        running.delete(p);
        done++;
        if (done % progressEvery === 0 || done === total) opts.onProgress?.(done, total);
      });
    running.add(p);
    if (running.size >= folderParallelism) await Promise.race(running);
  };
  for (const listed of sources) {
    if (opts.signal?.aborted || failure) break;
    const s = withRecord(listed);
    const labels = recordLabels(s.record, headerThreshold(request.header));
    const file = s.file;
    if (!file || !labels) {
      skipped.push({ id: s.id, ...whySkipped(s, Boolean(labels)) });
      done++;
      continue;
    }
    const dirs = s.id.split('/').map((part) => safeName(part));
    const base = dirs.pop() as string;
    await launch(await item({ source: s, file, labels, dirs, base }, run));
  }
  await Promise.all(running);
  if (failure) throw failure;
  if (opts.signal?.aborted) throw new AppFailure('cancelled', `Export cancelled after ${plural(count, 'image')}; the files written so far stay in place.`);
  skipped.sort((a, b) => comparePaths(a.id, b.id));
  return { path: target, count, format: request.format, skipped };
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').slice(0, 200);

/** Why an image has no file in a folder export (it has no result to draw or sort by, or no bytes). */
function whySkipped(s: ExportSource, hasLabels: boolean): Omit<ExportSkip, 'id'> {
  if (!s.record) return { code: 'not_classified', message: 'It has no result yet; classify it first.' };
  if (s.record.status === 'error') return { code: s.record.error?.code ?? 'internal', message: `Its classification failed (${s.record.error?.message ?? 'no result'}).` };
  if (!hasLabels) return { code: 'bad_response', message: 'Its stored response is not a classification result.' };
  return isWebId(s.id)
    ? { code: 'web_image', message: 'It is a web image: its bytes are not on this computer.' }
    : { code: 'unreadable_file', message: 'The file could not be read from the image folder (moved, removed, or a link leading outside).' };
}

export interface ExporterOptions {
  results: Pick<ResultsStore, 'ref' | 'journal' | 'stored'>;
  library: JobLibrary;
  settings: { get(): Settings };
  /** The app's data folder, which exports must stay out of. */
  dataDir?: string;
  /** The review state of a folder's images (corrections), looked up once per export. */
  reviewFor?: (folderId: string) => Promise<ExportOptions['review']>;
}

type ExporterPort = Ports['exporter'];

export interface Exporter extends ExporterPort {
  /** The port's export with progress and cancellation. */
  exportWith(request: Parameters<ExporterPort['export']>[0], opts: ExportOptions): Promise<ExportDone>;
}

export function createExporter(opts: ExporterOptions): Exporter {
  async function exportWith(request: Parameters<ExporterPort['export']>[0], options: ExportOptions) {
    const folder = opts.library.get(request.folderId);
    if (!folder) throw new AppFailure('not_found', 'That folder is not open any more. Open it again.');
    await folder.settled;
    const settings = opts.settings.get();
    const ref = opts.results.ref();
    const journal = ref ? await opts.results.journal(request.folderId, ref) : null;
    const wanted = request.ids ? new Set(request.ids) : null;
    const sources: ExportSource[] = [];
    const needsBytes = writers[request.format].readsImages;
    // What is known of each image without its record (the briefs in memory); the record itself is
    // read when the writer reaches the image.
    const stored = opts.results.stored(journal);
    const classSet = new Set<string>();
    const counted = (at: number) => {
      if (stored.status(at) !== 'done') return;
      for (let k = 0, n = stored.scoreCount(at); k < n; k++) classSet.add(stored.scoreClass(at, k));
    };
    let looked = 0;
    for (const entry of folder.entries.values()) {
      // Main serves other work, and a cancel, between slices.
      if (++looked % collectSlice === 0) {
        await nextTurn();
        if (options.signal?.aborted) throw new AppFailure('cancelled', 'Export cancelled.');
      }
      if (wanted && !wanted.has(entry.id)) continue;
      const at = stored.find(entry.id);
      if (at >= 0) counted(at);
      const imagePath = path.join(folder.info.root, ...entry.id.split('/'));
      // Reads of image bytes go through the library's gate (no link may lead out of the folder).
      const file = needsBytes && at >= 0 && stored.status(at) === 'done' ? await opts.library.resolve(request.folderId, entry.id).catch(() => undefined) : undefined;
      const read = () => {
        const record = at >= 0 ? journal?.get(entry.id) : undefined;
        return { record, stale: record ? isStale(record, entry) : false };
      };
      sources.push({ id: entry.id, imagePath, file, read });
    }
    // Web images by key.
    for (const id of journal?.rows().keys ?? []) {
      const at = isWebId(id) && (!wanted || wanted.has(id)) ? stored.find(id) : -1;
      if (at < 0) continue;
      counted(at);
      sources.push({ id, imagePath: id, read: () => ({ record: journal?.get(id) }) });
    }
    const header: ExportHeader = {
      model: settings.model,
      endpoint: ref ? resultsEndpoint(ref) : '',
      threshold: settings.threshold,
      classThresholds: settings.classThresholds[classThresholdsKey(request.folderId, settings.model)],
      created: new Date().toISOString(),
      folder: folder.info.root,
    };
    return writeExport(
      { format: request.format, path: request.path, header, sources, classes: [...classSet].sort(), protectedRoots: [folder.info.root], dataDir: opts.dataDir, keepSubfolders: request.keepSubfolders },
      { review: await opts.reviewFor?.(request.folderId), ...options },
    );
  }
  return {
    export: (request) => exportWith(request, {}),
    exportWith,
    suggestedName(folderId, format) {
      const folder = opts.library.get(folderId);
      const model = exportModel(opts.settings.get().model);
      const stem = [folder?.info.name ?? 'results', model.project, model.version].filter(Boolean).join('-');
      return safeName(exportFileName(exportFormats[format], stem), 'results');
    },
  };
}
