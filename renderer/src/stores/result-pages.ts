import type { Api } from '../../../app/contract';
import type { AppError } from '../../../app/errors';
import { columnsCount, type ResultColumns } from '../../../app/result-columns';
import { toAppError } from '../api';

// What the stores holding a folder's results (the current model's, the comparison model's) share:
// reading them from main page by page, and applying live job items in batches.

const firstPage = 10_000;
const laterPages = 50_000;

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
  onPage: (page: ResultColumns) => void,
): Promise<AppError | null> {
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
