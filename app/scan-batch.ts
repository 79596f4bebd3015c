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

/** The entries of a batch, appended to `into`. A batch whose columns disagree in length gives
 *  only the rows all three columns have. */
export function unpackEntries(batch: ScanBatch, into: ImageEntry[] = []): ImageEntry[] {
  const n = batchRows(batch);
  for (let i = 0; i < n; i++) {
    const id = batch.ids[i];
    into.push({ id, name: nameOf(id), size: batch.sizes[i], mtimeMs: batch.mtimes[i] });
  }
  return into;
}

/** An image's file name: the last path segment of its id. */
export function nameOf(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}

/** Rows a batch gives: those all three columns have. */
export function batchRows(batch: Pick<ScanBatch, 'ids' | 'sizes' | 'mtimes'>): number {
  return Math.min(batch.ids.length, batch.sizes.length, batch.mtimes.length);
}
