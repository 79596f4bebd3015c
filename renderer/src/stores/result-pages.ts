import type { Api } from '../../../app/contract';
import type { AppError } from '../../../app/errors';
import { columnsCount, type ResultColumns } from '../../../app/result-columns';
import { idsOf } from '../../../app/front-coded';
import { toAppError } from '../api';

// What the stores holding a folder's results (the current model's, the comparison model's) share:
// reading them from main page by page, judging them stale again once main has read every file,
// and applying live job items in batches.

const firstPage = 10_000;
const laterPages = 50_000;

/** Pages asked for ahead of the one being taken in. */
const pagesAhead = 2;

/** Whose results a store reads: a folder's, of the current model or of `model` on `engine`. */
export interface ResultQuery {
  folderId: string;
  model?: string;
  engine?: 'roboflow-api' | 'on-device';
}

/** Reads a folder's stored results (of `model`, or of the current one) page by page into `onPage`;
 *  stops quietly once `stale()` says a newer load began. Answers the failure instead of throwing.
 *  `marks` (the store's) hears when the load starts and, unless it went stale, when it ends.
 *  Pages come as columns; the first is small so the first results show at once. Later pages are
 *  asked for `pagesAhead` at a time, so main goes from one to the next without waiting for the
 *  page: one after the other, the six pages of 250,000 results spent a third of their time waiting
 *  on each other, and with one page ahead main still sat idle while each page crossed and parsed. */
export async function readResultPages(
  api: Api,
  query: ResultQuery,
  stale: () => boolean,
  onPage: (page: ResultColumns) => void,
  marks?: StaleMarks,
): Promise<AppError | null> {
  marks?.loadStarted(query);
  try {
    return await readPages(api, query, stale, onPage);
  } finally {
    if (!stale()) marks?.loadEnded();
  }
}

async function readPages(api: Api, query: ResultQuery, stale: () => boolean, onPage: (page: ResultColumns) => void): Promise<AppError | null> {
  const ask = (offset: number, limit: number) => {
    const answer = api.resultsColumns({ ...query, offset, limit });
    // Awaited below, unless the load went stale or ended first: then its failure is of no interest.
    answer.catch(() => undefined);
    return answer;
  };
  try {
    const waiting = [ask(0, firstPage)];
    let asked = firstPage;
    while (waiting.length > 0) {
      const page = await waiting.shift()!;
      if (stale()) return null;
      // An empty page is the end (the results shrank meanwhile); the total says how far to ask.
      if (columnsCount(page) > 0) {
        for (; waiting.length < pagesAhead && asked < page.total; asked += laterPages) waiting.push(ask(asked, laterPages));
      } else waiting.length = 0;
      onPage(page);
    }
    return null;
  } catch (error) {
    return toAppError(error);
  }
}

/** Judges a store's loaded results stale again once main has read every file's size and mtime
 *  (`identitiesRead`): results it sent before were judged without them (a large folder's results
 *  come before its scan has read every file, or before a cached listing's re-check). */
export class StaleMarks {
  /** Whose results are loaded or being loaded, and that load's number. */
  #query: ResultQuery | null = null;
  #load = 0;
  #loading = false;
  /** identitiesRead came during the load: judged when it ends. */
  #wanted = false;
  /** Per question out, the ids a job gave a newer result meanwhile (not stale, whatever main says). */
  #newer = new Set<Set<string>>();

  constructor(
    private readonly api: Pick<Api, 'staleResults'>,
    /** Marks the results of these ids stale. */
    private readonly mark: (ids: string[]) => void,
  ) {}

  loadStarted(query: ResultQuery): void {
    this.#query = query;
    this.#load++;
    this.#loading = true;
    this.#wanted = false;
  }

  loadEnded(): void {
    this.#loading = false;
    if (this.#wanted) void this.judge();
    this.#wanted = false;
  }

  /** The store forgot its results (another folder, no model). */
  forget(): void {
    this.#query = null;
    this.#load++;
    this.#loading = false;
  }

  /** A job's result for `id` arrived. */
  onResult(id: string): void {
    for (const newer of this.#newer) newer.add(id);
  }

  onIdentitiesRead(folderId: string): void {
    if (folderId !== this.#query?.folderId) return;
    if (this.#loading) this.#wanted = true;
    else void this.judge();
  }

  private async judge(): Promise<void> {
    const query = this.#query;
    const load = this.#load;
    if (!query) return;
    const newer = new Set<string>();
    this.#newer.add(newer);
    let ids: string[];
    try {
      ids = idsOf(await this.api.staleResults(query));
    } catch {
      // The marks stay as they were sent; the next open judges them again.
      return;
    } finally {
      this.#newer.delete(newer);
    }
    if (load !== this.#load) return;
    this.mark(newer.size > 0 ? ids.filter((id) => !newer.has(id)) : ids);
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
