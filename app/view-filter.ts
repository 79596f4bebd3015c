import { confidenceBin, histogramBins } from './confidence-histogram';
import { passingLabels, thresholdsByIndex, type Threshold } from './roboflow';
import type { ImageEntry, ResultSummary } from './types';
import { ResultSnapshot, snapshotOf, type ResultList } from './result-table';
import { uncertaintyOf } from './uncertainty';

// Filtering, sorting and counting over a folder's results. Works on plain arrays indexed like the
// folder's entries (no per-item objects or proxies) so any change at 50,000 images stays fast.

export type StateFilter = 'all' | 'unclassified' | 'done' | 'error';
/** 'mistakes': images judged wrong against their ground truth first, each part by confidence descending. */
export type SortKey = 'name' | 'confidence-desc' | 'confidence-asc' | 'class' | 'mistakes' | UncertaintySort;
/** Least certain first: smallest margin, or largest entropy. */
export type UncertaintySort = 'margin-asc' | 'entropy-desc';

export interface ViewFilter {
  /** Case-insensitive substring of the relative path. */
  search: string;
  state: StateFilter;
  /** Predicted classes to keep; empty keeps every class. */
  classes: ReadonlySet<string>;
  /** Range of the top confidence (0..1); a range narrower than 0..1 drops unclassified images. */
  confMin: number;
  confMax: number;
  /** Entry indices to keep (an allow-list, e.g. the images of one confusion-matrix cell); absent or null keeps all. */
  only?: ReadonlySet<number> | null;
  /** Ranges of the margin and entropy (0..1, see app/uncertainty); narrower than 0..1 drops unclassified images. */
  marginMin?: number;
  marginMax?: number;
  entropyMin?: number;
  entropyMax?: number;
}

export const defaultFilter: ViewFilter = { search: '', state: 'all', classes: new Set(), confMin: 0, confMax: 1 };

/** What a result says at a threshold: the classes that count, and whether it is below it. */
export interface Labels {
  /** Single-label: the top class; multi-label: every class at or above the threshold. */
  classes: Array<[className: string, confidence: number]>;
  /** True when nothing reaches the threshold (the badge is muted). */
  below: boolean;
}

/** The labels of a result at `threshold` for display: `passingLabels` (roboflow.ts, the rule exports
 *  follow), plus the best class shown muted when nothing passes. */
export function labelsAt(summary: Pick<ResultSummary, 'scores' | 'multiLabel'>, threshold: Threshold): Labels {
  const labels = passingLabels(summary.scores, summary.multiLabel, threshold);
  if (!labels.best) return { classes: [], below: true };
  return labels.scored.length > 0 ? { classes: labels.scored, below: false } : { classes: [labels.best], below: true };
}

const pathCollator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Path order, the grid's and the exports' ("img2" before "img10", case ignored, then by code unit). */
export function comparePaths(a: string, b: string): number {
  return pathCollator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Name data derived once per folder listing: lower-cased paths and the natural name order. */
export interface NameIndex {
  /** Each path lower-cased; shorter than `order` after sortedNameIndex (lowerNames completes it
   *  from `source` when a search first needs it). */
  lower: string[];
  /** naturalKey of each lower-cased path; shorter than `lower` after sortedNameIndex (computed
   *  when the index is next extended). */
  keys: string[];
  /** Entry indices in natural path order. */
  order: Int32Array;
  /** Position of each entry in `order` (ties in other sorts fall back to it). */
  rank: Int32Array;
  /** The listing `lower` is completed from (its first `order.length` entries are this index's). */
  source?: NameSource;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
const digitRunMark = 0x30;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** What each ASCII character becomes in a natural key: punctuation and symbols their rank in the
 *  collator's own order (derived from it, all below '0'), letters lowercase. */
const asciiKeyCode: Uint16Array = (() => {
  const code = new Uint16Array(128);
  const marks: string[] = [];
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c);
    if (/[a-z0-9]/.test(ch)) code[c] = c;
    else if (/[A-Z]/.test(ch)) code[c] = c + 0x20;
    else marks.push(ch);
  }
  marks.sort(collator.compare);
  let rank = 1;
  marks.forEach((ch, k) => {
    if (k > 0 && collator.compare(marks[k - 1], ch) !== 0) rank++;
    code[ch.charCodeAt(0)] = Math.min(rank, digitRunMark - 1);
  });
  return code;
})();

/** The key's code units, reused: a plain array, since fromCharCode.apply takes one faster than a
 *  typed array (a third less time for 250,000 keys in Chromium). */
const keyBuffer: number[] = [];

/**
 * A string whose plain order (`<`) is the natural order of Intl.Collator('en', numeric, base) for
 * Latin names: accents stripped, letters lowercase, punctuation as its collator rank, and each run of
 * digits as a mark, its length without leading zeros, then those digits. Computed once per entry, it
 * turns the comparisons of a 250,000-path sort into native string compares (the collator's took
 * seconds). Names equal by this key (e.g. "01" and "1") are tied as the collator ties them.
 */
export function naturalKey(lower: string): string {
  // eslint-disable-next-line no-control-regex
  const text = /[^\x00-\x7f]/.test(lower) ? lower.normalize('NFD').replace(/[\u0300-\u036f]/g, '') : lower;
  const buf = keyBuffer;
  let k = 0;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      let end = i + 1;
      while (end < text.length && isDigit(text.charCodeAt(end))) end++;
      let start = i;
      while (start < end - 1 && text.charCodeAt(start) === 0x30) start++;
      buf[k++] = digitRunMark;
      buf[k++] = 0x30 + end - start;
      for (let q = start; q < end; q++) buf[k++] = text.charCodeAt(q);
      i = end;
    } else {
      buf[k++] = c < 0x80 ? asciiKeyCode[c] : c;
      i++;
    }
  }
  buf.length = k;
  // fromCharCode takes arguments: in slices, to stay far below the engine's argument limit.
  if (k <= 4096) return String.fromCharCode.apply(null, buf);
  let key = '';
  for (let at = 0; at < k; at += 4096) key += String.fromCharCode.apply(null, buf.slice(at, at + 4096));
  return key;
}

/** A listing as the name index reads it: its ids in listing order (the page keeps them so), or
 *  entries with an id (tests and benches that build listings as entries). */
export type NameSource = readonly string[] | ReadonlyArray<Pick<ImageEntry, 'id'>>;

/** The lower-cased ids of `from[start…end]`, appended to `lower`. */
function pushLower(lower: string[], from: NameSource, start: number, end = from.length): void {
  const n = Math.min(end, from.length);
  if (n <= start) return;
  if (typeof from[start] === 'string') {
    const ids = from as readonly string[];
    for (let i = start; i < n; i++) lower.push(ids[i].toLowerCase());
  } else {
    const entries = from as ReadonlyArray<Pick<ImageEntry, 'id'>>;
    for (let i = start; i < n; i++) lower.push(entries[i].id.toLowerCase());
  }
}

/** Builds the name index of a folder listing (natural order: "img2" before "img10"). */
export function buildNameIndex(entries: NameSource): NameIndex {
  return extendNameIndex({ lower: [], keys: [], order: new Int32Array(0), rank: new Int32Array(0) }, entries);
}

/**
 * The name index of `entries` given `prev`, the index of the first `prev.order.length` of them
 * (a listing that only grew, as during a scan): only the new entries get keys and a sort, then
 * they are merged in. `prev.lower` and `prev.keys` are extended in place (indices below their
 * old length keep their meaning).
 */
export function extendNameIndex(prev: NameIndex, entries: NameSource): NameIndex {
  const old = prev.order.length;
  const n = entries.length;
  const { lower, keys } = prev;
  // An index built from a listing that came in order (sortedNameIndex) may lack lower-cased
  // paths and has no keys yet.
  if (lower.length < old) pushLower(lower, entries, lower.length, old);
  lower.length = old;
  for (let i = keys.length; i < old; i++) keys.push(naturalKey(lower[i]));
  keys.length = old;
  pushLower(lower, entries, old);
  for (let i = old; i < n; i++) keys.push(naturalKey(lower[i]));
  const compare = (a: number, b: number) => {
    const ka = keys[a];
    const kb = keys[b];
    if (ka !== kb) return ka < kb ? -1 : 1;
    return lower[a] < lower[b] ? -1 : lower[a] > lower[b] ? 1 : a - b;
  };
  // A plain array sorts with a comparator faster than an Int32Array does.
  const added = Array.from({ length: n - old }, (_, k) => old + k).sort(compare);
  const order = new Int32Array(n);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < old && j < added.length) order[k++] = compare(prev.order[i], added[j]) <= 0 ? prev.order[i++] : added[j++];
  while (i < old) order[k++] = prev.order[i++];
  while (j < added.length) order[k++] = added[j++];
  const rank = new Int32Array(n);
  for (let p = 0; p < n; p++) rank[order[p]] = p;
  return { lower, keys, order, rank };
}

/**
 * The name index of `entries` when they are already in natural name order (a cached listing is
 * stored that way): the order is the identity, so neither keys nor a sort are needed, and the
 * paths are lower-cased only when a search first asks (lowerNames: at 250,000 paths that was
 * 40-110 ms of the page's last step before it showed the count). `prev` must be such an index of
 * the first entries (or empty); its `lower` is shared and completed in place.
 */
export function sortedNameIndex(prev: NameIndex, entries: NameSource): NameIndex {
  const old = prev.order.length;
  const n = entries.length;
  const { lower, keys } = prev;
  if (lower.length > old) lower.length = old;
  if (keys.length > old) keys.length = old;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return { lower, keys, order, rank: order.slice(), source: entries };
}

/** The index's paths lower-cased, completed first as far as `upTo` (default: all of them), in
 *  place. A search reads them all; a page warming them when idle reads them in steps. */
export function lowerNames(index: NameIndex, upTo = index.order.length): readonly string[] {
  const { lower, source } = index;
  const end = Math.min(upTo, index.order.length);
  if (lower.length < end && source) pushLower(lower, source, lower.length, end);
  return lower;
}

export interface ViewCounts {
  /** Images in the folder. */
  total: number;
  /** Images that pass every filter. */
  shown: number;
  /** Per state, over images passing every filter except the state filter. */
  states: { unclassified: number; done: number; error: number };
  /** Per predicted class at the threshold (as the badges say it), over images passing every filter
   *  except the class filter; an image below the threshold counts for no class. */
  classes: Map<string, number>;
}

export interface View {
  /** Entry indices to show, in display order. */
  order: Int32Array;
  counts: ViewCounts;
  /** The top-confidence histogram of the images shown (see app/confidence-histogram). */
  bins?: ViewBins;
}

/** Per confidence bin (histogramBins), the images shown: all of them, and per top class. */
export interface ViewBins {
  all: Int32Array;
  /** Class k's counts at k * histogramBins .. (k + 1) * histogramBins. */
  byClass: Int32Array;
}

const UNCLASSIFIED = 0;
const DONE = 1;
const ERROR = 2;

/**
 * Per-image facts gathered once per change of the results (not per filter change), in typed
 * arrays indexed like the entries, so filtering and sorting 50,000 images touch no objects.
 */
export interface PreparedView {
  names: NameIndex;
  results: ResultList;
  /** 0 unclassified, 1 done, 2 error. */
  state: Uint8Array;
  /** Top confidence, -1 without one. */
  conf: Float64Array;
  /** Index of the top class in `classNames`, -1 without one. */
  top: Int32Array;
  /** 1 for multi-label results (their labels depend on the threshold). */
  multi: Uint8Array;
  /** Multi-label scores, flat: image i's are at scoreStart[i]..scoreStart[i + 1], sorted descending. */
  scoreStart: Int32Array;
  scoreClass: Int32Array;
  scoreConf: Float64Array;
  /** Every class name seen, sorted. */
  classNames: string[];
  classIndex: Map<string, number>;
}

/** Gathers the per-image facts of a folder's results; `results[i]` (`results.at(i)`) belongs to
 *  entry i. A table's snapshot is read from its columns, without a summary per image; summaries are
 *  first put in such columns (snapshotOf). */
export function prepareView(names: NameIndex, results: ReadonlyArray<ResultSummary | undefined> | ResultSnapshot): PreparedView {
  return prepareSnapshot(names, results instanceof ResultSnapshot ? results : snapshotOf(results));
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function prepareSnapshot(names: NameIndex, snapshot: ResultSnapshot): PreparedView {
  const n = names.order.length;
  const { rows, rowAt } = snapshot;
  const { start, scoreClass: rowClass, scoreConf: rowConf } = rows;
  const state = new Uint8Array(n);
  const conf = new Float64Array(n).fill(-1);
  const top = new Int32Array(n).fill(-1);
  const multi = new Uint8Array(n);
  const seen = new Uint8Array(rows.classes.length);
  const listed = Math.min(n, rowAt.length);
  for (let i = 0; i < listed; i++) {
    const row = rowAt[i];
    if (row < 0) continue;
    if (rows.isError(row)) {
      state[i] = ERROR;
      continue;
    }
    state[i] = DONE;
    for (let at = start[row]; at < start[row + 1]; at++) seen[rowClass[at]] = 1;
  }
  const classNames = rows.classes.filter((_, k) => seen[k] === 1).sort(byCodeUnit);
  const classIndex = new Map(classNames.map((name, k) => [name, k]));
  const sortedOf = new Int32Array(rows.classes.length).fill(-1);
  for (const [name, k] of classIndex) sortedOf[rows.classOf(name)] = k;
  const scoreStart = new Int32Array(n + 1);
  let flat = 0;
  for (let i = 0; i < n; i++) {
    scoreStart[i] = flat;
    if (state[i] !== DONE) continue;
    const row = rowAt[i];
    if (start[row + 1] > start[row]) {
      conf[i] = rowConf[start[row]];
      top[i] = sortedOf[rowClass[start[row]]];
    }
    if (rows.isMultiLabel(row)) {
      multi[i] = 1;
      flat += start[row + 1] - start[row];
    }
  }
  scoreStart[n] = flat;
  const scoreClass = new Int32Array(flat);
  const scoreConf = new Float64Array(flat);
  for (let i = 0; i < n; i++) {
    if (multi[i] === 0) continue;
    const row = rowAt[i];
    for (let from = start[row], at = scoreStart[i]; from < start[row + 1]; from++, at++) {
      scoreClass[at] = sortedOf[rowClass[from]];
      scoreConf[at] = rowConf[from];
    }
  }
  return { names, results: snapshot, state, conf, top, multi, scoreStart, scoreClass, scoreConf, classNames, classIndex };
}

/**
 * Filters and sorts a folder's images. `results[i]` is the result of `entries[i]` (or undefined);
 * `names` must come from buildNameIndex over the same entries.
 */
export function buildView(
  names: NameIndex,
  results: ReadonlyArray<ResultSummary | undefined>,
  filter: ViewFilter,
  sort: SortKey,
  threshold: Threshold,
): View {
  return buildPreparedView(prepareView(names, results), filter, sort, threshold);
}

/** buildView over facts prepared once by prepareView; `mistakes[i]` = 1 puts entry i first for sort 'mistakes'. */
export function buildPreparedView(prep: PreparedView, filter: ViewFilter, sort: SortKey, threshold: Threshold, mistakes?: Uint8Array | null): View {
  const named = filteredView(prep, filter, threshold);
  const unc = sort === 'margin-asc' || sort === 'entropy-desc' ? uncertaintyArrays(prep, threshold) : null;
  let order = named.order;
  if (sort !== 'name') order = sortedOrder(named.order, prep, sort === 'mistakes' ? 'confidence-desc' : sort, unc);
  if (sort === 'mistakes' && mistakes) order = moveFirst(order, mistakes);
  return { order, counts: named.counts, bins: named.bins };
}

// The last filtered views per prepared view (the grid's and the histogram's), so a change of sort
// alone re-sorts without filtering and counting 250,000 images again. Filters are never mutated.
const filteredCache = new WeakMap<PreparedView, Array<{ filter: ViewFilter; threshold: Threshold; view: View }>>();

/** The images `filter` keeps, in name order, and the counts; the same View for the same inputs. */
function filteredView(prep: PreparedView, filter: ViewFilter, threshold: Threshold): View {
  const recent = filteredCache.get(prep) ?? [];
  const hit = recent.find((r) => r.filter === filter && r.threshold === threshold);
  if (hit) return hit.view;
  const view = filterPrepared(prep, filter, threshold);
  filteredCache.set(prep, [{ filter, threshold, view }, ...recent].slice(0, 2));
  return view;
}

/**
 * The filters that decide which images are candidates at all (search, allow-list, confidence,
 * margin and entropy ranges), as opposed to state and class, which each still count as facets.
 * Each is a conjunction of monotone tests, so a key that `narrows` another keeps a subset of its
 * images: a longer search, a range inside the old one.
 */
interface CandidateKey {
  search: string;
  only: ReadonlySet<number> | null;
  /** False when the confidence range is the whole 0..1 (then unclassified images stay). */
  byConf: boolean;
  confMin: number;
  confMax: number;
  byUncertainty: boolean;
  mMin: number;
  mMax: number;
  eMin: number;
  eMax: number;
  /** The threshold the margins were measured at (multi-label margins depend on it); null when unused. */
  threshold: Threshold | null;
}

function candidateKey(filter: ViewFilter, threshold: Threshold): CandidateKey {
  const mMin = filter.marginMin ?? 0;
  const mMax = filter.marginMax ?? 1;
  const eMin = filter.entropyMin ?? 0;
  const eMax = filter.entropyMax ?? 1;
  const byUncertainty = mMin > 0 || mMax < 1 || eMin > 0 || eMax < 1;
  return {
    search: filter.search.trim().toLowerCase(),
    only: filter.only ?? null,
    byConf: !(filter.confMin <= 0 && filter.confMax >= 1),
    confMin: filter.confMin,
    confMax: filter.confMax,
    byUncertainty,
    mMin,
    mMax,
    eMin,
    eMax,
    threshold: byUncertainty ? threshold : null,
  };
}

/** True when every image `next` keeps is kept by `prev`. */
function narrows(next: CandidateKey, prev: CandidateKey): boolean {
  if (prev.only && prev.only !== next.only) return false;
  if (!next.search.includes(prev.search)) return false;
  if (prev.byConf && (!next.byConf || next.confMin < prev.confMin || next.confMax > prev.confMax)) return false;
  if (prev.byUncertainty) {
    if (!next.byUncertainty || next.threshold !== prev.threshold) return false;
    if (next.mMin < prev.mMin || next.mMax > prev.mMax || next.eMin < prev.eMin || next.eMax > prev.eMax) return false;
  }
  return true;
}

// The last candidate lists per prepared view: a change of threshold, class or state filter reuses
// the list as it is, and a search that only grows (typing) filters the previous list, not the folder.
const candidateCache = new WeakMap<PreparedView, Array<{ key: CandidateKey; list: Int32Array }>>();
const keptCandidateLists = 4;

/** Entry indices that pass the candidate filters, in name order. */
function candidates(prep: PreparedView, key: CandidateKey): Int32Array {
  const recent = candidateCache.get(prep) ?? [];
  let from: { key: CandidateKey; list: Int32Array } | null = null;
  for (const r of recent) {
    if (!narrows(key, r.key)) continue;
    if (narrows(r.key, key)) {
      from = r;
      break;
    }
    if (!from || r.list.length < from.list.length) from = r;
  }
  if (from && narrows(from.key, key)) return from.list;
  const list = from ? keepCandidates(prep, key, from.list) : freshCandidates(prep, key);
  candidateCache.set(prep, [{ key, list }, ...recent].slice(0, keptCandidateLists));
  return list;
}

/** Candidates over the whole folder (every image when no candidate filter is set). */
function freshCandidates(prep: PreparedView, key: CandidateKey): Int32Array {
  if (!key.search && !key.only && !key.byConf && !key.byUncertainty) return prep.names.order;
  return keepCandidates(prep, key, prep.names.order);
}

/** The entries of `from` (in name order) that pass every candidate filter of `key`. */
function keepCandidates(prep: PreparedView, key: CandidateKey, from: Int32Array): Int32Array {
  const lower = key.search ? lowerNames(prep.names) : prep.names.lower;
  const conf = prep.conf;
  const { search, only, byConf, confMin, confMax, byUncertainty, mMin, mMax, eMin, eMax } = key;
  const unc = byUncertainty ? uncertaintyArrays(prep, key.threshold ?? 0) : null;
  const out = new Int32Array(from.length);
  let k = 0;
  for (let j = 0; j < from.length; j++) {
    const i = from[j];
    if (only && !only.has(i)) continue;
    if (search && !lower[i].includes(search)) continue;
    const c = conf[i];
    if (byConf && (c < 0 || c < confMin || c > confMax)) continue;
    if (unc) {
      const m = unc.margin[i];
      const e = unc.entropy[i];
      if (m < 0 || m < mMin || m > mMax || e < eMin || e > eMax) continue;
    }
    out[k++] = i;
  }
  return out.slice(0, k);
}

/**
 * A candidate list read at one threshold: which images carry which class (as the badges say it),
 * per class in name order, and the totals the sidebar counts. State and class filters then pick
 * from these lists, so toggling a class or clearing a filter does not walk the folder again.
 */
interface Labelled {
  /** Candidates per state (unclassified, done, error). */
  stateTotals: Int32Array;
  /** Candidates carrying each class. */
  classTotals: Int32Array;
  /** Per class, the candidates carrying it, in name order. */
  members: Int32Array[];
  /** The histogram of every candidate. */
  bins: ViewBins;
}

// Per prepared view (a list such as the name order outlives the results it was read with).
const labelledCache = new WeakMap<PreparedView, Array<{ list: Int32Array; threshold: Threshold; labelled: Labelled }>>();
const keptLabelled = 4;

function labelledAt(prep: PreparedView, list: Int32Array, threshold: Threshold): Labelled {
  const recent = labelledCache.get(prep) ?? [];
  const hit = recent.find((r) => r.list === list && r.threshold === threshold);
  if (hit) return hit.labelled;
  const { state, conf, top, multi, scoreStart, scoreClass, scoreConf, classNames } = prep;
  const classes = classNames.length;
  // The threshold rule (roboflow.ts `passes`) per class index.
  const thr = thresholdsByIndex(threshold, classNames);
  const stateTotals = new Int32Array(3);
  const classTotals = new Int32Array(classes);
  // Each image's classes, flat (first pass), then split per class (second).
  const labelOf = new Int32Array(list.length).fill(-1);
  const multiLabels: number[] = [];
  for (let j = 0; j < list.length; j++) {
    const i = list[j];
    const st = state[i];
    stateTotals[st] += 1;
    if (st !== DONE) continue;
    // Classes count and filter as the badges say them: below the threshold an image has no class
    // (its badge is muted), so the counts, the class filter and the tiles agree.
    if (multi[i] === 0) {
      const k = top[i];
      if (k >= 0 && conf[i] >= thr[k]) {
        labelOf[j] = k;
        classTotals[k] += 1;
      }
    } else if (top[i] >= 0) {
      // Multi-label: every class at or above its threshold counts (labelsAt without its arrays).
      const end = scoreStart[i + 1];
      for (let at = scoreStart[i]; at < end; at++) {
        const k = scoreClass[at];
        if (scoreConf[at] < thr[k]) continue;
        if (labelOf[j] === -1) labelOf[j] = -2;
        multiLabels.push(j, k);
        classTotals[k] += 1;
      }
    }
  }
  const members = Array.from({ length: classes }, (_, k) => new Int32Array(classTotals[k]));
  const filled = new Int32Array(classes);
  let m = 0;
  for (let j = 0; j < list.length; j++) {
    const k = labelOf[j];
    if (k >= 0) members[k][filled[k]++] = list[j];
    else if (k === -2) for (; m < multiLabels.length && multiLabels[m] === j; m += 2) members[multiLabels[m + 1]][filled[multiLabels[m + 1]]++] = list[j];
  }
  const labelled = { stateTotals, classTotals, members, bins: binsOf(prep, list) };
  labelledCache.set(prep, [{ list, threshold, labelled }, ...recent].slice(0, keptLabelled));
  return labelled;
}

/** The top-confidence histogram of `order`, all and per top class (as confidenceHistogram counts). */
function binsOf(prep: PreparedView, order: Int32Array): ViewBins {
  const { conf, top } = prep;
  const bins = histogramBins;
  const all = new Int32Array(bins);
  const byClass = new Int32Array(bins * prep.classNames.length);
  for (let j = 0; j < order.length; j++) {
    const i = order[j];
    const c = conf[i];
    if (c < 0) continue;
    const b = confidenceBin(c, bins);
    all[b] += 1;
    byClass[top[i] * bins + b] += 1;
  }
  return { all, byClass };
}

function filterPrepared(prep: PreparedView, filter: ViewFilter, threshold: Threshold): View {
  const { names, state, classIndex } = prep;
  const n = names.order.length;
  const stateWanted = filter.state === 'all' ? -1 : filter.state === 'done' ? DONE : filter.state === 'error' ? ERROR : UNCLASSIFIED;
  const list = candidates(prep, candidateKey(filter, threshold));
  const labelled = labelledAt(prep, list, threshold);
  const wanted: number[] = [];
  for (const name of filter.classes) {
    const k = classIndex.get(name);
    if (k !== undefined) wanted.push(k);
  }
  // Class counts leave out the class filter; only classified images carry classes.
  const classCounts = stateWanted < 0 || stateWanted === DONE ? labelled.classTotals : new Int32Array(prep.classNames.length);
  let stateCounts: ArrayLike<number>;
  let order: Int32Array;
  if (filter.classes.size === 0) {
    // State counts leave out the state filter.
    stateCounts = labelled.stateTotals;
    if (stateWanted < 0) order = list;
    else {
      const out = new Int32Array(labelled.stateTotals[stateWanted]);
      let k = 0;
      for (let j = 0; j < list.length; j++) if (state[list[j]] === stateWanted) out[k++] = list[j];
      order = out;
    }
  } else {
    let inClass: Int32Array;
    if (wanted.length <= 1) inClass = wanted.length === 1 ? labelled.members[wanted[0]] : new Int32Array(0);
    else {
      // Several classes: a multi-label image may carry more than one, so mark, then keep name order.
      const mark = new Uint8Array(n);
      let count = 0;
      for (const k of wanted) {
        for (const i of labelled.members[k]) {
          count += 1 - mark[i];
          mark[i] = 1;
        }
      }
      inClass = markedIn(list, mark, count);
    }
    stateCounts = [0, inClass.length, 0];
    order = stateWanted < 0 || stateWanted === DONE ? inClass : new Int32Array(0);
  }
  const classes = new Map<string, number>();
  prep.classNames.forEach((name, j) => {
    if (classCounts[j] > 0) classes.set(name, classCounts[j]);
  });
  return {
    order,
    counts: { total: n, shown: order.length, states: { unclassified: stateCounts[UNCLASSIFIED], done: stateCounts[DONE], error: stateCounts[ERROR] }, classes },
    bins: order === list ? labelled.bins : binsOf(prep, order),
  };
}

// The whole folder sorted, per prepared view and sort: a view that keeps most images is that order
// with the others left out (one pass), instead of a sort per filter change.
const sortedCache = new WeakMap<PreparedView, Map<string, { unc: UncertaintyArrays | null; order: Int32Array }>>();

/** `named` (entry indices in name order) sorted by `sort`; the same order sortView gives. */
function sortedOrder(named: Int32Array, prep: PreparedView, sort: Exclude<SortKey, 'name' | 'mistakes'>, unc: UncertaintyArrays | null): Int32Array {
  const n = prep.names.order.length;
  // Few images: sorting them is cheaper than walking the whole folder's order.
  if (named.length * 4 < n) return sortView(named, prep, sort, unc);
  let bySort = sortedCache.get(prep);
  if (!bySort) sortedCache.set(prep, (bySort = new Map()));
  let all = bySort.get(sort);
  if (!all || all.unc !== unc) bySort.set(sort, (all = { unc, order: sortView(prep.names.order, prep, sort, unc) }));
  if (named.length === n) return all.order;
  const keep = new Uint8Array(n);
  for (let j = 0; j < named.length; j++) keep[named[j]] = 1;
  return markedIn(all.order, keep, named.length);
}

/** The `count` entries of `order` set in `mark` (by entry index), in `order`'s order. */
function markedIn(order: Int32Array, mark: Uint8Array, count: number): Int32Array {
  const out = new Int32Array(count);
  let k = 0;
  for (let j = 0; j < order.length && k < count; j++) if (mark[order[j]] === 1) out[k++] = order[j];
  return out;
}

/** A stable partition: the entries flagged in `first` ahead of the others, each part in its order. */
function moveFirst(order: Int32Array, first: Uint8Array): Int32Array {
  const out = new Int32Array(order.length);
  let k = 0;
  for (let j = 0; j < order.length; j++) if (first[order[j]] === 1) out[k++] = order[j];
  for (let j = 0; j < order.length; j++) if (first[order[j]] !== 1) out[k++] = order[j];
  return out;
}

const CONF_STEPS = 1_000_000; // confidence quantised to 1e-6 for sorting; ties fall back to name order

/**
 * Sorts by (class, quantised confidence), ties in name order. `order` comes in name order, so a
 * stable radix sort on the confidence step (then, for 'class', on the class) gives that order in
 * linear time: at 250,000 images the comparison sort of packed keys cost most of a sort's frame.
 */
function sortView(order: Int32Array, prep: PreparedView, sort: Exclude<SortKey, 'name'>, unc?: UncertaintyArrays | null): Int32Array {
  const { top, classNames } = prep;
  // Margin and entropy are 0..1 with -1 for none, like the confidence, so they sort the same way.
  const conf = sort === 'margin-asc' && unc ? unc.margin : sort === 'entropy-desc' && unc ? unc.entropy : prep.conf;
  const ascending = sort === 'confidence-asc' || sort === 'margin-asc';
  const byClass = sort === 'class';
  const steps = new Uint32Array(order.length);
  for (let j = 0; j < order.length; j++) {
    const c = conf[order[j]];
    // Images without a confidence go last whatever the direction.
    if (c < 0) {
      steps[j] = CONF_STEPS + 1;
      continue;
    }
    // A confidence above 1 (no model's) sorts as 1; one that is not a number as none.
    const q = c > 1 ? CONF_STEPS : Math.round(c * CONF_STEPS);
    steps[j] = !(q >= 0) ? CONF_STEPS + 1 : ascending ? q : CONF_STEPS - q;
  }
  // Two passes of 10 bits each (steps < 2^20): small bucket tables stay in cache, where one table
  // of a million buckets would cost more than the images.
  const low = radixPass(order, steps, 0, RADIX_BITS);
  let out = radixPass(low.items, low.keys, RADIX_BITS, RADIX_BITS).items;
  if (byClass) {
    const klass = new Uint32Array(out.length);
    // Multi-label too: the first label at any threshold is the top score (scores sorted descending).
    for (let j = 0; j < out.length; j++) klass[j] = conf[out[j]] < 0 ? classNames.length : top[out[j]];
    out = radixPass(out, klass, 0, Math.max(1, Math.ceil(Math.log2(classNames.length + 1)))).items;
  }
  return out;
}

const RADIX_BITS = 10;

/** `items` and their `keys` stably reordered by bits `shift`..`shift + bits` of the keys. */
function radixPass(items: Int32Array, keys: Uint32Array, shift: number, bits: number): { items: Int32Array; keys: Uint32Array } {
  const mask = 2 ** bits - 1;
  const start = new Int32Array(mask + 2);
  for (let j = 0; j < keys.length; j++) start[((keys[j] >>> shift) & mask) + 1] += 1;
  for (let b = 1; b <= mask + 1; b++) start[b] += start[b - 1];
  const outItems = new Int32Array(items.length);
  const outKeys = new Uint32Array(keys.length);
  for (let j = 0; j < items.length; j++) {
    const at = start[(keys[j] >>> shift) & mask]++;
    outItems[at] = items[j];
    outKeys[at] = keys[j];
  }
  return { items: outItems, keys: outKeys };
}

/** Per-image margin and entropy (-1 without scores), indexed like the entries. */
export interface UncertaintyArrays {
  margin: Float64Array;
  entropy: Float64Array;
}

// Multi-label margins depend on the threshold, so the arrays are kept per prepared view and threshold.
const uncertaintyCache = new WeakMap<PreparedView, UncertaintyArrays & { threshold: Threshold }>();

/** The margin and entropy of every image of a prepared view at `threshold`, computed once per pair. */
export function uncertaintyArrays(prep: PreparedView, threshold: Threshold): UncertaintyArrays {
  const cached = uncertaintyCache.get(prep);
  if (cached && cached.threshold === threshold) return cached;
  const n = prep.state.length;
  const margin = new Float64Array(n).fill(-1);
  const entropy = new Float64Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    if (prep.state[i] !== DONE) continue;
    const result = prep.results.at(i)!;
    const u = uncertaintyOf(result.scores, result.multiLabel, threshold);
    if (!u) continue;
    margin[i] = u.margin;
    entropy[i] = u.entropy;
  }
  const arrays = { threshold, margin, entropy };
  uncertaintyCache.set(prep, arrays);
  return arrays;
}
