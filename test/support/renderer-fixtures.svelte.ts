import { flushSync } from 'svelte';
import { groupTruth } from '../../app/truth-groups';
import { expect, vi } from 'vitest';
import type { FolderGroundTruth } from '../../app/eval-report';
import type { UnmatchedName } from '../../app/ground-truth';
import { normaliseSettings, type Settings } from '../../app/settings';
import type { ImageEntry, JobProgress, ResultSummary } from '../../app/types';
import { createStores, type Stores } from '../../renderer/src/stores/app-stores';
import type { LibraryStore } from '../../renderer/src/stores/library.svelte';
import { fakeApi, type FakeApi, type Handlers } from './fake-api';
import { packEntries } from '../../app/scan-batch';

// Folders, results and job progress as main would send them, for the renderer's unit tests.

export const folderId = '0123456789abcdef';

export const entry = (id: string): ImageEntry => ({ id, name: id.slice(id.lastIndexOf('/') + 1), size: 1000, mtimeMs: 0 });

/** A single-label result with scores given best first. */
export function done(id: string, ...scores: Array<[string, number]>): ResultSummary {
  return { id, status: 'done', stale: false, multiLabel: false, scores };
}

export function failed(id: string): ResultSummary {
  return { id, status: 'error', stale: false, multiLabel: false, scores: [], error: { code: 'server', message: 'Server error 500' } };
}

export function progress(state: JobProgress['state'], patch: Partial<JobProgress> = {}): JobProgress {
  return { jobId: 'job-1', folderId, model: 'cats/2', state, total: 3, done: 0, failed: 0, skipped: 0, inFlight: 0, rate: 0, etaSeconds: null, ...patch };
}

/** Main's side of an open folder: its listing, stored results and settings. */
export function folderApi(entries: ImageEntry[], results: ResultSummary[] = [], settings: Partial<Settings> = {}, more: Handlers = {}): FakeApi {
  return fakeApi({
    openFolder: ({ path }) => ({ folderId, root: path, name: path.split('/').pop() ?? path, recursive: true }),
    resultsPage: ({ offset, limit }) => ({ total: results.length, items: results.slice(offset, offset + limit) }),
    getSettings: () => normaliseSettings({ model: 'cats/2', ...settings }),
    credentialStatus: () => ({ profile: 'default', hasKey: true, last4: 'abcd', backend: 'keychain' }),
    ...more,
  });
}

/** Opens the folder in the library as main would answer it: the listing in one batch, then done. */
export async function openFolder(library: LibraryStore, entries: ImageEntry[]): Promise<void> {
  await library.open('/photos');
  library.onScanBatch(packEntries(folderId, entries));
  library.onScanDone({ folderId, total: entries.length, problems: [], ms: 1, cancelled: false });
  // The name index is extended on a timer (0 ms once the scan is done).
  await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Every store of the window on `api` (settings loaded) inside an effect root (the comparison and evaluation stores
 *  follow the folder with effects), with the folder open and its stored results loaded. Call
 *  `destroy` after the test. */
export async function storesWithFolder(api: FakeApi, entries: ImageEntry[]): Promise<Stores & { destroy: () => void }> {
  let stores!: Stores;
  const destroy = $effect.root(() => {
    stores = createStores(api);
  });
  await stores.settings.load();
  await openFolder(stores.library, entries);
  await stores.review.load(folderId);
  return { ...stores, destroy };
}

/** Main's `groundTruth` answer: the true label of each image by id (before corrections) and the
 *  folder names that match no class. */
export function folderGroundTruth(truth: Record<string, string>, unmatched: UnmatchedName[] = []): FolderGroundTruth {
  return {
    groundTruth: { source: 'folders', unmatched, problems: [], unknownPaths: [] },
    truth: groupTruth(Object.entries(truth).map(([id, label]) => [id, [label]])),
  };
}

/** A folder judged against its ground truth: cat/2 is predicted wrong, kitten/ matches no class. */
export const judged = {
  entries: ['cat/1.jpg', 'cat/2.jpg', 'dog/1.jpg', 'kitten/1.jpg'].map(entry),
  results: [
    done('cat/1.jpg', ['cat', 0.9], ['dog', 0.1]),
    done('cat/2.jpg', ['dog', 0.7], ['cat', 0.3]),
    done('dog/1.jpg', ['dog', 0.8], ['cat', 0.2]),
    done('kitten/1.jpg', ['cat', 0.6], ['dog', 0.4]),
  ],
  truth: { 'cat/1.jpg': 'cat', 'cat/2.jpg': 'cat', 'dog/1.jpg': 'dog' } as Record<string, string>,
};

/** Main's side of the judged folder, corrections journal included (no undo history kept). */
export function judgedApi(more: Handlers = {}): FakeApi {
  return folderApi(judged.entries, judged.results, {}, {
    groundTruth: () => folderGroundTruth(judged.truth, [{ name: 'kitten', key: 'kitten', count: 1 }]),
    setGroundTruthMapping: ({ mapping }) => mapping,
    corrections: () => ({ items: [], canUndo: false, canRedo: false }),
    setCorrection: ({ ids, ...patch }) => ({
      changed: ids.map((id) => ({ id, label: patch.label ?? null, reviewed: patch.reviewed ?? false, flagged: patch.flagged ?? false, at: '' })),
      canUndo: true,
      canRedo: false,
    }),
    ...more,
  });
}

/** The stores with the judged folder open, once main's ground truth has arrived. */
export async function judgedStores(api: FakeApi): Promise<Stores & { destroy: () => void }> {
  const stores = await storesWithFolder(api, judged.entries);
  await stores.corrections.load(folderId);
  flushSync();
  // Main is asked for the ground truth a moment after the folder and its results settle.
  await vi.waitFor(() => expect(stores.evaluation.base).not.toBeNull(), { timeout: 10_000 });
  return stores;
}
