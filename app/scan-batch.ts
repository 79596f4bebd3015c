import type { ImageEntry, ScanBatch } from './types';

// Scan batches cross IPC as columns (ids, sizes, mtimes) rather than one object per image: at
// 250,000 images the per-entry keys were most of the bytes and most of the parse. The name is
// the id's last path segment, so it does not travel.

export function packEntries(folderId: string, entries: readonly ImageEntry[]): ScanBatch {
  const n = entries.length;
  const ids = new Array<string>(n);
  const sizes = new Array<number>(n);
  const mtimes = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    ids[i] = e.id;
    sizes[i] = e.size;
    mtimes[i] = e.mtimeMs;
  }
  return { folderId, ids, sizes, mtimes };
}

/** An image's file name: the last path segment of its id. */
export function nameOf(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}

/** Rows a batch gives: those all three columns have. */
export function batchRows(batch: Pick<ScanBatch, 'ids' | 'sizes' | 'mtimes'>): number {
  return Math.min(batch.ids.length, batch.sizes.length, batch.mtimes.length);
}

/** Rows `from` to `to` of a listing kept as columns (a cached listing), as a batch: no entry
 *  object per image on the way. */
export function packColumns(
  folderId: string,
  columns: { ids: readonly string[]; sizes: ArrayLike<number>; mtimes: ArrayLike<number> },
  from = 0,
  to = columns.ids.length,
): ScanBatch {
  const n = Math.max(0, to - from);
  const sizes = new Array<number>(n);
  const mtimes = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    sizes[i] = columns.sizes[from + i];
    mtimes[i] = columns.mtimes[from + i];
  }
  return { folderId, ids: columns.ids.slice(from, to), sizes, mtimes };
}
