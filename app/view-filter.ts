import type { ImageEntry, ResultSummary } from './types';

// Filtering, sorting and counting over a folder's results. Works on plain arrays indexed like the
// folder's entries (no per-item objects or proxies) so any change at 50,000 images stays fast.

export type StateFilter = 'all' | 'unclassified' | 'done' | 'error';
export type SortKey = 'name' | 'confidence-desc' | 'confidence-asc' | 'class';

export interface ViewFilter {
  /** Case-insensitive substring of the relative path. */
  search: string;
  state: StateFilter;
  /** Predicted classes to keep; empty keeps every class. */
  classes: ReadonlySet<string>;
  /** Range of the top confidence (0..1); a range narrower than 0..1 drops unclassified images. */
  confMin: number;
  confMax: number;
}

export const defaultFilter: ViewFilter = { search: '', state: 'all', classes: new Set(), confMin: 0, confMax: 1 };

/** What a result says at a threshold: the classes that count, and whether it is below it. */
export interface Labels {
  /** Single-label: the top class; multi-label: every class at or above the threshold. */
  classes: Array<[className: string, confidence: number]>;
  /** True when nothing reaches the threshold (the badge is muted). */
  below: boolean;
}

/** The labels of a result at `threshold`; scores must be sorted by confidence descending. */
export function labelsAt(summary: Pick<ResultSummary, 'scores' | 'multiLabel'>, threshold: number): Labels {
  const top = summary.scores[0];
  if (!top) return { classes: [], below: true };
  if (!summary.multiLabel) return { classes: [top], below: top[1] < threshold };
  const above = summary.scores.filter(([, confidence]) => confidence >= threshold);
  return above.length > 0 ? { classes: above, below: false } : { classes: [top], below: true };
}

/** Name data derived once per folder listing: lower-cased paths and the natural name order. */
export interface NameIndex {
  lower: string[];
  /** Entry indices in natural path order. */
  order: Int32Array;
  /** Position of each entry in `order` (ties in other sorts fall back to it). */
  rank: Int32Array;
}

/** Builds the name index of a folder listing (natural order: "img2" before "img10"). */
export function buildNameIndex(entries: readonly ImageEntry[]): NameIndex {
  const n = entries.length;
  const lower = new Array<string>(n);
  for (let i = 0; i < n; i++) lower[i] = entries[i].id.toLowerCase();
  const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => collator.compare(lower[a], lower[b]) || (lower[a] < lower[b] ? -1 : lower[a] > lower[b] ? 1 : a - b));
  const rank = new Int32Array(n);
  for (let i = 0; i < n; i++) rank[order[i]] = i;
  return { lower, order, rank };
}

export interface ViewCounts {
  /** Images in the folder. */
  total: number;
  /** Images that pass every filter. */
  shown: number;
  /** Per state, over images passing every filter except the state filter. */
  states: { unclassified: number; done: number; error: number };
  /** Per predicted class, over images passing every filter except the class filter. */
  classes: Map<string, number>;
}

export interface View {
  /** Entry indices to show, in display order. */
  order: Int32Array;
  counts: ViewCounts;
}

const stateOf = (result: ResultSummary | undefined): 'unclassified' | 'done' | 'error' =>
  result === undefined ? 'unclassified' : result.status === 'error' ? 'error' : 'done';

/**
 * Filters and sorts a folder's images. `results[i]` is the result of `entries[i]` (or undefined);
 * `names` must come from buildNameIndex over the same entries.
 */
export function buildView(
  names: NameIndex,
  results: ReadonlyArray<ResultSummary | undefined>,
  filter: ViewFilter,
  sort: SortKey,
  threshold: number,
): View {
  const n = names.order.length;
  const search = filter.search.trim().toLowerCase();
  const fullRange = filter.confMin <= 0 && filter.confMax >= 1;
  const classFilter = filter.classes.size > 0;
  const states = { unclassified: 0, done: 0, error: 0 };
  const classes = new Map<string, number>();
  const keep = new Uint8Array(n);
  let shown = 0;

  for (let i = 0; i < n; i++) {
    if (search && !names.lower[i].includes(search)) continue;
    const result = results[i];
    const state = stateOf(result);
    const top = state === 'done' ? result!.scores[0] : undefined;
    if (!fullRange && (!top || top[1] < filter.confMin || top[1] > filter.confMax)) continue;
    const labels = top ? labelsAt(result!, threshold).classes : [];
    const inClass = !classFilter || labels.some(([name]) => filter.classes.has(name));
    const inState = filter.state === 'all' || filter.state === state;
    if (inClass) states[state] += 1;
    if (inState) for (const [name] of labels) classes.set(name, (classes.get(name) ?? 0) + 1);
    if (inClass && inState) {
      keep[i] = 1;
      shown += 1;
    }
  }

  const order = new Int32Array(shown);
  let k = 0;
  for (let p = 0; p < n; p++) {
    const i = names.order[p];
    if (keep[i]) order[k++] = i;
  }
  if (sort !== 'name') sortView(order, names, results, sort, threshold);
  return { order, counts: { total: n, shown, states, classes } };
}

function sortView(
  order: Int32Array,
  names: NameIndex,
  results: ReadonlyArray<ResultSummary | undefined>,
  sort: Exclude<SortKey, 'name'>,
  threshold: number,
): void {
  // Keys gathered once per shown image so the comparator only touches typed arrays.
  const conf = new Float64Array(names.order.length).fill(-1);
  const klass = new Array<string>(names.order.length);
  for (const i of order) {
    const result = results[i];
    const top = result?.status === 'done' ? result.scores[0] : undefined;
    if (top) {
      conf[i] = top[1];
      klass[i] = labelsAt(result!, threshold).classes[0]?.[0] ?? '';
    }
  }
  const byName = (a: number, b: number) => names.rank[a] - names.rank[b];
  // Unclassified images (-1) always go last, whatever the direction.
  const missingLast = (a: number, b: number) => (conf[a] < 0 ? 1 : 0) - (conf[b] < 0 ? 1 : 0);
  if (sort === 'confidence-desc') order.sort((a, b) => missingLast(a, b) || conf[b] - conf[a] || byName(a, b));
  else if (sort === 'confidence-asc') order.sort((a, b) => missingLast(a, b) || conf[a] - conf[b] || byName(a, b));
  else
    order.sort((a, b) => {
      const ka = klass[a];
      const kb = klass[b];
      return missingLast(a, b) || (ka < kb ? -1 : ka > kb ? 1 : 0) || conf[b] - conf[a] || byName(a, b);
    });
}
