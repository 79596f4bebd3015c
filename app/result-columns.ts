import type { AppError, ErrorCode } from './errors';
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
export const errorBit = 1;
export const staleBit = 2;
export const multiLabelBit = 4;

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

/** A page's columns as values: its ids, per image its flags and score count, the flat score
 *  columns (`flat` long: the shorter of the two), how many images the columns fully list, and
 *  the errors by image index. */
export function readColumns(page: ResultColumns): {
  ids: string[];
  flags: ArrayLike<number>;
  counts: ArrayLike<number>;
  classOf: ArrayLike<number>;
  conf: ArrayLike<number>;
  flat: number;
  count: number;
  errors: Map<number, AppError>;
} {
  const ids = idsOf(page.ids);
  const flags = numbersOf(page.flags);
  const counts = numbersOf(page.scoreCount);
  const classOf = numbersOf(page.scoreClass);
  const conf = numbersOf(page.scoreConf);
  const errors = new Map<number, AppError>();
  for (const [index, code, message] of page.errors) errors.set(index, { code, message });
  const count = Math.min(ids.length, flags.length, counts.length);
  return { ids, flags, counts, classOf, conf, flat: Math.min(classOf.length, conf.length), count, errors };
}
