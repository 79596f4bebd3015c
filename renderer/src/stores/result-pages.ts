import type { Api } from '../../../app/contract';
import type { AppError } from '../../../app/errors';
import type { ResultSummary } from '../../../app/types';
import { columnsCount, decodeResults, ScoreSharing } from '../../../app/result-columns';
import { toAppError } from '../api';

// What the stores holding a folder's results by image id (the current model's, the comparison
// model's) share: reading them from main page by page, lining them up with the library's entries,
// and applying live job items in batches.

const firstPage = 10_000;
const laterPages = 50_000;

/** Each listed id's result (undefined where there is none), in the listing's order. */
export function alignResults(ids: readonly string[], byId: ReadonlyMap<string, ResultSummary>): Array<ResultSummary | undefined> {
  const out = new Array<ResultSummary | undefined>(ids.length);
  // While a folder without results is scanned, each batch would otherwise look up every id.
  if (byId.size === 0) return out;
  for (let i = 0; i < ids.length; i++) out[i] = byId.get(ids[i]);
  return out;
}

/**
 * Keeps results lined up with a listing that only grows between resets (a scan appends; `reset`
 * when the results map is replaced): at 250,000 images a full re-line per scan flush or per page
 * of results looked up every id again, where only the new entries and the changed ids need it.
 */
export class ResultAlignment {
  #ids: readonly string[] | null = null;
  #out: Array<ResultSummary | undefined> = [];
  /** Ids whose result changed since the last alignment; null: anything may have. */
  #changed: string[] | null = null;

  /** Results of these ids were set (added or replaced) in the map. */
  changed(ids: Iterable<string>): void {
    if (this.#changed) for (const id of ids) this.#changed.push(id);
  }

  /** The map was replaced or emptied: the next alignment starts over. */
  reset(): void {
    this.#changed = null;
  }

  /** alignResults(ids, byId), from the last alignment when `ids` is the same (grown) array. */
  align(ids: readonly string[], byId: ReadonlyMap<string, ResultSummary>, indexOf: (id: string) => number): Array<ResultSummary | undefined> {
    const prev = this.#out;
    const changed = this.#changed;
    let out: Array<ResultSummary | undefined>;
    if (this.#ids === ids && changed && prev.length <= ids.length && changed.length * 2 < ids.length) {
      // A new array: views built from the previous one keep reading what they were built from.
      out = prev.slice();
      out.length = ids.length;
      if (byId.size > 0) for (let i = prev.length; i < ids.length; i++) out[i] = byId.get(ids[i]);
      for (const id of changed) {
        const i = indexOf(id);
        if (i >= 0 && i < prev.length) out[i] = byId.get(id);
      }
    } else out = alignResults(ids, byId);
    this.#ids = ids;
    this.#out = out;
    this.#changed = [];
    return out;
  }
}

/** Pages asked for ahead of the one being taken in. */
const pagesAhead = 2;

/** Reads a folder's stored results (of `model`, or of the current one) page by page into `onPage`;
 *  stops quietly once `stale()` says a newer load began. Answers the failure instead of throwing.
 *  Pages come as columns; the first is small so the first results show at once. Later pages are
 *  asked for `pagesAhead` at a time, so main goes from one to the next without waiting for the
 *  page: one after the other, the six pages of 250,000 results spent a third of their time waiting
 *  on each other, and with one page ahead main still sat idle while each page crossed and parsed. */
export async function readResultPages(
  api: Api,
  query: { folderId: string; model?: string; engine?: 'roboflow-api' | 'on-device' },
  stale: () => boolean,
  onPage: (items: ResultSummary[]) => void,
): Promise<AppError | null> {
  const ask = (offset: number, limit: number) => {
    const answer = api.resultsColumns({ ...query, offset, limit });
    // Awaited below, unless the load went stale or ended first: then its failure is of no interest.
    answer.catch(() => undefined);
    return answer;
  };
  try {
    const sharing = new ScoreSharing();
    const waiting = [ask(0, firstPage)];
    let asked = firstPage;
    while (waiting.length > 0) {
      const page = await waiting.shift()!;
      if (stale()) return null;
      // An empty page is the end (the results shrank meanwhile); the total says how far to ask.
      if (columnsCount(page) > 0) {
        for (; waiting.length < pagesAhead && asked < page.total; asked += laterPages) waiting.push(ask(asked, laterPages));
      } else waiting.length = 0;
      onPage(decodeResults(page, sharing));
    }
    return null;
  } catch (error) {
    return toAppError(error);
  }
}

/** Collects items and hands them to `apply` together, `delayMs` after the first (or at once on
 *  flush), so a fast job does not rebuild a view for every image. */
export class Batch<T> {
  private items: T[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly apply: (items: T[]) => void,
    private readonly delayMs = 150,
  ) {}

  push(item: T): void {
    this.items.push(item);
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.apply(items);
  }

  /** Drops the items still waiting. */
  clear(): void {
    this.items = [];
  }
}
