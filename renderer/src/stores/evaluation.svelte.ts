import { untrack } from 'svelte';
import type { Api } from '../../../app/contract';
import type { AppError } from '../../../app/errors';
import type { DatasetExportOptions, EvaluationExportKind, EvaluationRequest, FolderGroundTruth, GroundTruthRequest } from '../../../app/eval-report';
import type { LabelMapping } from '../../../app/ground-truth';
import { truthWithCorrections } from '../../../app/corrections';
import { truthOfGroupsInSteps } from '../../../app/truth-groups';
import { cellIds, evaluateAt, type EvaluationMetrics } from '../../../app/metrics';
import { mistakesByEntry, prepareFolderEvaluation, truthByEntry, type FolderEvaluation, type TruthByEntry } from '../../../app/folder-evaluation';
import { verdictAt } from '../../../app/compare';
import type { ExportDone } from '../../../app/types';
import { toAppError } from '../api';
import type { CorrectionsStore } from './corrections.svelte';
import type { LibraryStore } from './library.svelte';
import type { ReviewStore } from './review.svelte';

// Evaluation of the open folder against its ground truth, computed in the renderer.
//
// Main resolves the ground truth (folder names or a labels CSV, through the person's name mapping)
// with the `groundTruth` channel. Main also keeps the mapping per folder (setGroundTruthMapping, read
// back through the settings), so it survives restarts and the CLI sees it. The `groundTruth` answer
// does not depend on the threshold or the corrections, so it is fetched only when the folder, its
// classes, the mapping or the CSV change (debounced).
// The metrics themselves come from app/metrics.ts here, over results the renderer already holds:
// `prepareFolderEvaluation` (app/folder-evaluation.ts, from the results table's columns) once per
// change of results, truth or corrections, `evaluateAt` per threshold, so the panel follows the
// threshold slider with no IPC at all.

/** The true label of one image as a tile shows it. */
export interface TruthMark {
  label: string;
  /** The label is the person's correction (not the folder / CSV). */
  corrected: boolean;
  /** The prediction at the threshold agrees; null when there is no usable prediction to compare. */
  match: boolean | null;
  /** Classified, but nothing reaches the threshold: "no prediction at this threshold", not a mistake. */
  noPrediction: boolean;
}

/** One confusion-matrix cell the grid is filtered to. */
export interface CellFilter {
  truth: string;
  /** The predicted class, or null for "no prediction" (below the threshold). */
  predicted: string | null;
  count: number;
}

/** What stays in the renderer's storage: how the mapped names are shown, and the labels CSV. */
interface Persisted {
  /** Display names of the mapped keys (the editor lists them by the name first seen). */
  names: Record<string, string>;
  labelsPath: string | null;
}

const storageKey = (folderId: string) => `classify-desk:evaluation:${folderId}`;

function readPersisted(folderId: string): Persisted {
  const empty: Persisted = { names: {}, labelsPath: null };
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(storageKey(folderId)) ?? 'null');
    if (typeof raw !== 'object' || raw === null) return empty;
    const value = raw as Partial<Record<keyof Persisted, unknown>>;
    const names: Record<string, string> = {};
    if (typeof value.names === 'object' && value.names !== null) {
      for (const [key, name] of Object.entries(value.names)) if (typeof name === 'string') names[key] = name;
    }
    return { names, labelsPath: typeof value.labelsPath === 'string' && value.labelsPath ? value.labelsPath : null };
  } catch {
    return empty;
  }
}

export class EvaluationStore {
  #open = $state(false);
  get open() {
    return this.#open;
  }
  #loading = $state(false);
  get loading() {
    return this.#loading;
  }
  #error = $state<AppError | null>(null);
  get error() {
    return this.#error;
  }
  /** Main's answer: ground truth before corrections, unmatched names, CSV problems. */
  #base = $state.raw<FolderGroundTruth | null>(null);
  get base() {
    return this.#base;
  }
  /** The answer's ground truth by image id (read back before the answer is taken). */
  #ground = $state.raw<ReadonlyMap<string, readonly string[]>>(new Map());
  #mapping = $state.raw<LabelMapping>({});
  get mapping() {
    return this.#mapping;
  }
  #mappingNames = $state.raw<Readonly<Record<string, string>>>({});
  get mappingNames() {
    return this.#mappingNames;
  }
  #labelsPath = $state<string | null>(null);
  get labelsPath() {
    return this.#labelsPath;
  }
  #cell = $state.raw<CellFilter | null>(null);
  get cell() {
    return this.#cell;
  }

  /** Ground truth with the corrections on top. */
  readonly truth: ReadonlyMap<string, readonly string[]>;
  /** The same, lined up with the library's entries (made again when either changes). */
  readonly truthByEntry: TruthByEntry;
  private readonly classesKey: string;
  /** Whose results are evaluated, as `model()` says it (resultsKey: engine, endpoint, model): a change of
   *  another setting (the threshold or tile size as they are saved, a saved view) leaves it equal
   *  and asks for no evaluation. Read through `model()` in the effect, the settings object itself
   *  was followed, and each such change had main re-read every stored result (2.5-2.8 s of its time
   *  at 250,000 results). */
  private readonly modelKey: string;
  readonly prepared: FolderEvaluation;
  readonly metrics: EvaluationMetrics;
  /** Per library entry: 1 when it is evaluated and judged wrong at the threshold. */
  readonly mistakes: Uint8Array;

  private folderId = '';
  /** The folder whose display names and CSV path were read from storage (see restore). */
  private restoredFor = '';
  /** The folder whose stored mapping has arrived: no evaluation is asked for before it has. */
  private mappingFor = $state('');
  private timer: ReturnType<typeof setTimeout> | null = null;
  private token = 0;
  /** Bumped when results changed, at most about once a second (see the constructor). */
  private resultsTick = $state(0);
  private lastTick = 0;
  private tickTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly api: Api,
    private readonly library: LibraryStore,
    private readonly review: ReviewStore,
    private readonly corrections: CorrectionsStore,
    private readonly model: () => string,
  ) {
    this.truth = $derived(truthWithCorrections(this.#ground, this.corrections.byId.values()));
    this.truthByEntry = $derived.by(() => {
      void this.library.version;
      return truthByEntry(this.library.ids, this.truth);
    });
    this.prepared = $derived.by(() => {
      void this.resultsTick;
      const truth = this.truthByEntry;
      // Read without tracking: a running job changes results several times a second, and preparing
      // 50,000 results with many classes takes long enough to stutter the UI; resultsTick paces it.
      const aligned = untrack(() => this.review.aligned);
      return prepareFolderEvaluation(this.library.ids, aligned, truth, this.review.prepared.classNames);
    });
    this.metrics = $derived(evaluateAt(this.prepared, this.review.rule));
    this.modelKey = $derived(this.model());
    // A string, so the evaluation below is asked for again when the classes change, not on every
    // change of the results (each request re-reads every stored result in main).
    this.classesKey = $derived(this.review.prepared.classNames.join('\n'));
    this.mistakes = $derived(mistakesByEntry(this.prepared, this.review.rule, this.library.ids.length));

    $effect(() => {
      void this.review.aligned;
      untrack(() => this.tick());
    });

    // Ground truth follows the folder, its classes (folder names match them), the mapping and the CSV.
    $effect(() => {
      const folderId = this.library.folder?.folderId ?? '';
      // Switch first: it writes the mapping this effect reads next.
      if (folderId !== untrack(() => this.folderId)) untrack(() => this.switchFolder(folderId));
      // After the scan and the results load: main re-reads every stored result to answer, which at
      // 250,000 results would hold back the result pages still on their way.
      const ready = !this.library.scanning && !this.review.loading;
      if (ready) untrack(() => this.restore());
      const classes = this.classesKey;
      const request = { mapping: this.#mapping, labelsPath: this.#labelsPath, model: this.modelKey };
      if (!folderId || !ready || classes === '' || !request.model || this.mappingFor !== folderId) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.fetch(folderId), 250);
    });
  }

  /** Shows or hides the evaluation panel. */
  toggle(): void {
    this.restore();
    this.#open = !this.#open;
  }

  close(): void {
    this.#open = false;
  }

  /** Lets the metrics see new results now, or in a second when they saw some less than a second ago. */
  private tick(): void {
    const wait = this.lastTick + 1000 - Date.now();
    if (wait <= 0) {
      this.lastTick = Date.now();
      this.resultsTick++;
    } else {
      this.tickTimer ??= setTimeout(() => {
        this.tickTimer = null;
        this.lastTick = Date.now();
        this.resultsTick++;
      }, wait);
    }
  }

  private switchFolder(folderId: string): void {
    this.folderId = folderId;
    this.token++;
    this.#base = null;
    this.#ground = new Map();
    this.#error = null;
    this.#cell = null;
    this.#mapping = {};
    this.mappingFor = '';
    this.restoredFor = '';
    this.#mappingNames = {};
    this.#labelsPath = null;
    // The panel open already shows them.
    if (this.#open) this.restore();
    if (folderId) void this.loadMapping(folderId);
  }

  /** Reads the folder's display names and labels CSV from storage, once per folder, when first
   *  needed (the panel opens, a change is made, or the scan and results are in): the page's first
   *  storage access waits on the browser process, which took a third of a second while a
   *  250,000-image listing was streaming in. */
  private restore(): void {
    if (this.restoredFor === this.folderId) return;
    this.restoredFor = this.folderId;
    const saved = this.folderId ? readPersisted(this.folderId) : { names: {}, labelsPath: null };
    this.#mappingNames = saved.names;
    this.#labelsPath = saved.labelsPath;
  }

  private async loadMapping(folderId: string): Promise<void> {
    let mapping: LabelMapping = {};
    try {
      mapping = (await this.api.getSettings({})).groundTruthMappings[folderId] ?? {};
    } catch (error) {
      // Evaluate without the stored mapping rather than not at all; the panel shows why.
      if (folderId === this.folderId) this.#error = toAppError(error);
    }
    if (folderId !== this.folderId) return;
    this.#mapping = mapping;
    this.mappingFor = folderId;
  }

  /** Whose ground truth: the folder, its mapping and labels CSV (main takes the model from the settings). */
  private truthRequest(folderId: string): GroundTruthRequest {
    const request: GroundTruthRequest = { folderId, mapping: { ...this.#mapping } };
    if (this.#labelsPath) request.labelsPath = this.#labelsPath;
    return request;
  }

  /** An export's: the ground truth's, judged at the threshold and class thresholds on screen. */
  private exportRequest(folderId: string): EvaluationRequest {
    return { ...this.truthRequest(folderId), threshold: this.review.threshold, classThresholds: { ...this.review.classThresholds() } };
  }

  /** Asks main for the ground truth again now. */
  async fetch(folderId = this.folderId): Promise<void> {
    if (!folderId) return;
    const token = ++this.token;
    this.#loading = true;
    try {
      const answer = await this.api.groundTruth(this.truthRequest(folderId));
      if (token !== this.token) return;
      // In slices, with the page's other work between them (tiles, input).
      const ground = await truthOfGroupsInSteps(answer.truth, () => new Promise((resolve) => setTimeout(resolve, 0)));
      if (token !== this.token) return;
      this.#ground = ground;
      this.#base = answer;
      this.#error = null;
    } catch (error) {
      if (token !== this.token) return;
      this.#error = toAppError(error);
      // Truth from an older request (another CSV, another mapping) would be shown as if current.
      this.#base = null;
      this.#ground = new Map();
    } finally {
      if (token === this.token) this.#loading = false;
    }
  }

  private persist(): void {
    if (!this.folderId) return;
    const value: Persisted = { names: { ...this.#mappingNames }, labelsPath: this.#labelsPath };
    try {
      localStorage.setItem(storageKey(this.folderId), JSON.stringify(value));
    } catch {
      // A full or disabled storage only costs the display names and the CSV path across restarts.
    }
  }

  /** Maps a folder / CSV name (by its normalised key) to a class, to null (ignore), or back to unmapped. */
  setMapping(key: string, name: string, target: string | null | undefined): void {
    this.restore();
    const mapping = { ...this.#mapping };
    const names = { ...this.#mappingNames };
    if (target === undefined) {
      delete mapping[key];
      delete names[key];
    } else {
      mapping[key] = target;
      names[key] = name;
    }
    this.#mapping = mapping;
    this.#mappingNames = names;
    this.persist();
    const folderId = this.folderId;
    this.api.setGroundTruthMapping({ folderId, mapping }).catch((error: unknown) => {
      if (folderId === this.folderId) this.#error = toAppError(error);
    });
  }

  /** The path of a dropped labels CSV, which the shell records as chosen ('' where it cannot tell). */
  pathOf(file: File): Promise<string> {
    return this.api.chooseDropped(file);
  }

  /** The labels CSV chosen in the OS file dialog; null when cancelled (or the dialog failed, which `error` tells). */
  async chooseLabelsCsv(): Promise<string | null> {
    try {
      return await this.api.pickLabelsCsv({});
    } catch (error) {
      this.#error = toAppError(error);
      return null;
    }
  }

  setLabelsPath(path: string | null): void {
    this.restore();
    this.#labelsPath = path && path.trim() ? path.trim() : null;
    this.persist();
  }

  /** The true label of an image (corrections applied), and whether the prediction agrees. */
  truthMark(id: string, index: number): TruthMark | null {
    const labels = this.truth.get(id);
    if (!labels || labels.length === 0) return null;
    const corrected = this.corrections.get(id)?.label != null;
    const result = this.review.aligned.at(index);
    const names = verdictAt(result, this.review.rule);
    const noPrediction = names !== null && names.length === 0;
    const match = names === null || noPrediction ? null : names.length === labels.length && names.every((name) => labels.includes(name));
    return { label: labels.join(', '), corrected, match, noPrediction };
  }

  /** What a tile's accessible name adds: ", truth: <label>" (corrected or not), flagged, reviewed. */
  nameSuffix(id: string, index: number): string {
    const mark = this.truthMark(id, index);
    const correction = this.corrections.get(id);
    let out = mark ? `, truth: ${mark.label}${mark.corrected ? ' (corrected)' : ''}` : '';
    if (correction?.flagged) out += ', flagged';
    if (correction?.reviewed) out += ', reviewed';
    return out;
  }

  /** The label from folders or CSV before any correction. */
  groundLabel(id: string): string | null {
    const labels = this.#ground.get(id);
    return labels ? labels.join(', ') : null;
  }

  /** Filters the grid to exactly the images of one matrix cell (column -1: no prediction). */
  showCell(row: number, column: number): void {
    const p = this.prepared;
    const ids = cellIds(p, this.review.rule, row, column);
    const only = new Set<number>();
    for (const id of ids) {
      const at = this.library.indexOf(id);
      if (at >= 0) only.add(at);
    }
    this.#cell = { truth: p.classes[row], predicted: column < 0 ? null : p.classes[column], count: ids.length };
    this.review.setFilter({ only });
  }

  clearCell(): void {
    this.#cell = null;
    this.review.setFilter({ only: null });
  }

  /** Writes the report or the corrected labels where the person chooses. */
  async export(kind: EvaluationExportKind, options: DatasetExportOptions = {}): Promise<ExportDone | null> {
    if (!this.folderId) return null;
    return this.api.exportEvaluation({ ...this.exportRequest(this.folderId), kind, ...options });
  }
}
