import type { Api } from '../../../app/contract';
import type { AppError } from '../../../app/errors';
import type { ImageEntry, ResultSummary } from '../../../app/types';
import { decodeResults, ScoreSharing } from '../../../app/result-columns';
import { toAppError } from '../api';

// What the stores holding a folder's results by image id (the current model's, the comparison
// model's) share: reading them from main page by page, lining them up with the library's entries,
// and applying live job items in batches.

const firstPage = 10_000;
const laterPages = 50_000;

/** Each entry's result by its id (undefined where there is none), in the entries' order. */
export function alignResults(entries: readonly ImageEntry[], byId: ReadonlyMap<string, ResultSummary>): Array<ResultSummary | undefined> {
  const out = new Array<ResultSummary | undefined>(entries.length);
  // While a folder without results is scanned, each batch would otherwise look up every id.
  if (byId.size === 0) return out;
  for (let i = 0; i < entries.length; i++) out[i] = byId.get(entries[i].id);
  return out;
}

/** Reads a folder's stored results (of `model`, or of the current one) page by page into `onPage`;
 *  stops quietly once `stale()` says a newer load began. Answers the failure instead of throwing.
 *  Pages come as columns; the first is small so the first results show at once. */
export async function readResultPages(
  api: Api,
  query: { folderId: string; model?: string; engine?: 'roboflow-api' | 'on-device' },
  stale: () => boolean,
  onPage: (items: ResultSummary[]) => void,
): Promise<AppError | null> {
  try {
    const sharing = new ScoreSharing();
    for (let offset = 0, limit = firstPage; ; offset += limit, limit = laterPages) {
      const page = await api.resultsColumns({ ...query, offset, limit });
      if (stale()) return null;
      onPage(decodeResults(page, sharing));
      if (offset + limit >= page.total || page.ids.length === 0) return null;
    }
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
