import type { ErrorCode } from './errors';
import type { ResultSummary } from './types';
import { codeIds, idCount, idsOf, type IdList } from './front-coded';
import { numbersOf, packedOrPlain, type NumberList } from './packed-numbers';

// Stored results cross IPC as columns rather than one `ResultSummary` object per image: at
// 250,000 images the per-result keys and [className, confidence] pairs were most of the bytes,
// most of the parse, and (as objects in the page) most of the renderer's heap. A page carries one
// class-name table; scores are flat (class index + confidence, a count per image); errors are
// sparse. Ids travel as an array, not a joined string: a file name may hold any character. The
// number columns travel packed (app/packed-numbers.ts) where that is much shorter.

/** Flag bits per image. */
const errorBit = 1;
const staleBit = 2;
const multiLabelBit = 4;

/** One page of a folder's stored results, as columns. */
export interface ResultColumns {
  /** Results stored for the folder (all pages). */
  total: number;
  /** Front-coded when that is much shorter (packColumns); idsOf reads either. */
  ids: IdList;
  /** Per image: 1 = status error, 2 = stale, 4 = multi-label (or-ed). */
  flags: NumberList;
  /** The class names the page's scores use, each once. */
  classes: string[];
  /** Per image, how many scores it has: image i's are the next scoreCount[i] of the flat lists. */
  scoreCount: NumberList;
  /** Index into `classes`, per score. */
  scoreClass: NumberList;
  /** Confidence per score. */
  scoreConf: NumberList;
  /** Only the images that carry an error: [image index, code, message]. */
  errors: Array<[index: number, code: ErrorCode, message: string]>;
}

/** An image's flags column value. */
export function resultFlags(error: boolean, stale: boolean, multiLabel: boolean): number {
  return (error ? errorBit : 0) | (stale ? staleBit : 0) | (multiLabel ? multiLabelBit : 0);
}

/** A page of columns as built: every list plain. */
export type PlainColumns = ResultColumns & { ids: string[]; flags: number[]; scoreCount: number[]; scoreClass: number[]; scoreConf: number[] };

/** Packs summaries (in order) into a page of columns. */
export function encodeResults(total: number, items: Iterable<ResultSummary>): PlainColumns {
  const page: PlainColumns = { total, ids: [], flags: [], classes: [], scoreCount: [], scoreClass: [], scoreConf: [], errors: [] };
  const classIndex = new Map<string, number>();
  for (const item of items) {
    const i = page.ids.length;
    page.ids.push(item.id);
    page.flags.push(resultFlags(item.status === 'error', item.stale, item.multiLabel));
    for (const [name, confidence] of item.scores) {
      let k = classIndex.get(name);
      if (k === undefined) {
        k = page.classes.length;
        classIndex.set(name, k);
        page.classes.push(name);
      }
      page.scoreClass.push(k);
      page.scoreConf.push(confidence);
    }
    page.scoreCount.push(item.scores.length);
    if (item.error) page.errors.push([i, item.error.code, item.error.message]);
  }
  return page;
}

/** Shares what repeats across the summaries of one load: a class name is one string, and a
 *  [className, confidence] pair that recurs (a model's confidences are short decimals) is one
 *  array. The pairs are shared, so readers must not change them (none does: scores are read-only
 *  data). Where pairs hardly recur the lookup table would cost more than it saves: after a first
 *  stretch with fewer hits than misses, pairs are no longer kept. */
export class ScoreSharing {
  #names = new Map<string, string>();
  #pairs: Map<string, Map<number, [string, number]>> | null = new Map();
  #hits = 0;
  #misses = 0;

  name(name: string): string {
    const kept = this.#names.get(name);
    if (kept !== undefined) return kept;
    this.#names.set(name, name);
    return name;
  }

  pair(name: string, confidence: number): [string, number] {
    if (!this.#pairs) return [this.name(name), confidence];
    let byConfidence = this.#pairs.get(name);
    if (!byConfidence) {
      byConfidence = new Map();
      this.#pairs.set(name, byConfidence);
    }
    let pair = byConfidence.get(confidence);
    if (pair) {
      this.#hits++;
      return pair;
    }
    pair = [this.name(name), confidence];
    byConfidence.set(confidence, pair);
    if (++this.#misses === trialPairs && this.#hits < this.#misses) this.#pairs = null;
    return pair;
  }
}

const trialPairs = 20_000;

/** The page as it travels: its number columns packed (app/packed-numbers.ts) and its ids
 *  front-coded (app/front-coded.ts), each when that makes it much shorter. */
export function packColumns(page: PlainColumns): ResultColumns {
  return {
    ...page,
    ids: codeIds(page.ids),
    flags: packedOrPlain(page.flags),
    scoreCount: packedOrPlain(page.scoreCount),
    scoreClass: packedOrPlain(page.scoreClass),
    scoreConf: packedOrPlain(page.scoreConf),
  };
}

/** How many images a page holds. */
export function columnsCount(page: ResultColumns): number {
  return idCount(page.ids);
}

/** The summaries of a page, in order. Rows the columns do not fully describe (a short column,
 *  a class index out of the table) get what the columns do say, never an exception. */
export function decodeResults(page: ResultColumns, sharing: ScoreSharing = new ScoreSharing()): ResultSummary[] {
  const ids = idsOf(page.ids);
  const flagsOf = numbersOf(page.flags);
  const counts = numbersOf(page.scoreCount);
  const classOf = numbersOf(page.scoreClass);
  const conf = numbersOf(page.scoreConf);
  const n = Math.min(ids.length, flagsOf.length, counts.length);
  const errors = new Map<number, { code: ErrorCode; message: string }>();
  for (const [index, code, message] of page.errors) errors.set(index, { code, message });
  const out = new Array<ResultSummary>(n);
  const flat = Math.min(classOf.length, conf.length);
  let from = 0;
  for (let i = 0; i < n; i++) {
    const flags = flagsOf[i];
    const count = counts[i] > 0 ? counts[i] : 0;
    const to = Math.min(from + count, flat);
    const scores: Array<[string, number]> = [];
    for (let at = from; at < to; at++) {
      const name = page.classes[classOf[at]];
      if (name !== undefined) scores.push(sharing.pair(name, conf[at]));
    }
    from += count;
    const summary: ResultSummary = {
      id: ids[i],
      status: flags & errorBit ? 'error' : 'done',
      stale: (flags & staleBit) !== 0,
      multiLabel: (flags & multiLabelBit) !== 0,
      scores,
    };
    const error = errors.get(i);
    if (error) summary.error = error;
    out[i] = summary;
  }
  return out;
}
