import { codeIds } from './front-coded';
import type { ScanBatch } from './types';

// Scan batches carry ids only: at 250,000 images the per-entry keys, then the sizes and mtimes
// (which the page shows for one image at a time and asks main for), were most of the bytes and
// most of the parse. The name is the id's last path segment, so it does not travel. The ids
// themselves are front-coded when that is much shorter (app/front-coded.ts).

/** The ids of `entries` as a batch, plain (codeBatch codes it to send). */
export function packEntries(folderId: string, entries: ReadonlyArray<{ id: string }>): ScanBatch {
  const ids = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++) ids[i] = entries[i].id;
  return { folderId, ids };
}

/** The batch as it is sent: its ids front-coded when that is much shorter. */
export function codeBatch(batch: ScanBatch): ScanBatch {
  return Array.isArray(batch.ids) ? { ...batch, ids: codeIds(batch.ids) } : batch;
}

/** An image's file name: the last path segment of its id. */
export function nameOf(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}
