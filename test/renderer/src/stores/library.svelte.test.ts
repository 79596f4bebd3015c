import { describe, expect, it, vi } from 'vitest';
import { appError } from '../../../../app/errors';
import { LibraryStore } from '../../../../renderer/src/stores/library.svelte';
import { fakeApi } from '../../../support/fake-api';
import { entry, folderApi, folderId } from '../../../support/renderer-fixtures.svelte';
import { packEntries } from '../../../../app/scan-batch';
import { openStartFolder } from '../../../../renderer/src/start-folder';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
/** Every listed entry, in listing order. */
const listed = (library: LibraryStore) => Array.from({ length: library.count }, (_, i) => library.entryAt(i)!);

describe('LibraryStore', () => {
  it('opens a folder and lists the images as the scan finds them, batches that came before the answer included', async () => {
    const overtake: { batch?: () => void } = {};
    const api = folderApi([], [], {}, {
      openFolder: ({ path }) => {
        // A first batch can overtake openFolder's answer over IPC.
        overtake.batch?.();
        return { folderId, root: path, name: 'photos', recursive: true };
      },
    });
    const library = new LibraryStore(api);
    overtake.batch = () => library.onScanBatch(packEntries(folderId, [entry('a.jpg')]));
    await library.open('/photos');
    expect(library.folder?.name).toBe('photos');
    expect(library.scanning).toBe(true);
    expect(library.count).toBe(1);

    library.onScanBatch(packEntries(folderId, [entry('b.jpg'), entry('c.jpg')]));
    library.onScanBatch(packEntries('ffffffffffffffff', [entry('other.jpg')]));
    library.onScanProblem({ folderId, path: 'broken', code: 'unreadable_folder', message: 'Permission denied' });
    library.onScanDone({ folderId, total: 3, problems: [{ path: 'broken', code: 'unreadable_folder', message: 'Permission denied' }], ms: 5, cancelled: false });
    await tick();
    expect(library.scanning).toBe(false);
    expect(listed(library).map((e) => e.name)).toEqual(['a.jpg', 'b.jpg', 'c.jpg']);
    expect(library.indexOf('c.jpg')).toBe(2);
    expect(library.indexOf('other.jpg')).toBe(-1);
    expect(library.problems).toHaveLength(1);
    library.dismissProblems();
    expect(library.problems).toEqual([]);
  });

  it('takes over the start folder asked for before the window mounted: the events held meanwhile, then main\'s answer', async () => {
    const api = folderApi([], [], {}, { openStartFolder: () => ({ folderId, root: '/photos', name: 'photos', recursive: true }) });
    const start = openStartFolder(api);
    api.emit('scanBatch', { ...packEntries(folderId, [entry('a.jpg'), entry('b.jpg')]), complete: true });
    const library = new LibraryStore(api);
    // The window's own listeners, as wiring.ts installs them before taking over.
    api.on('scanBatch', (b) => library.onScanBatch(b));
    api.on('scanDone', (d) => library.onScanDone(d));
    const opening = library.openStart(start);
    expect(library.opening).toBe(true);
    api.emit('scanDone', { folderId, total: 2, problems: [], ms: 1, cancelled: false });
    await opening;
    await tick();
    expect(library.folder?.name).toBe('photos');
    expect(library.scanning).toBe(false);
    expect(listed(library).map((e) => e.id)).toEqual(['a.jpg', 'b.jpg']);
    expect(Array.from(library.names.order)).toEqual([0, 1]);
    expect(api.requests('openFolder')).toEqual([]);
  });

  it('says a folder is open as soon as main answers, before the listing held meanwhile is taken in, and not when none opens', async () => {
    // The window asks for the folder's stored results then, so main reads them while the page lists.
    const api = folderApi([], [], {}, { openStartFolder: () => ({ folderId, root: '/photos', name: 'photos', recursive: true }) });
    const start = openStartFolder(api);
    api.emit('scanBatch', packEntries(folderId, [entry('a.jpg'), entry('b.jpg')]));
    api.emit('scanBatch', { ...packEntries(folderId, [entry('c.jpg')]), complete: true });
    const library = new LibraryStore(api);
    const heard: Array<{ name: string; listed: number }> = [];
    await library.openStart(start, (info) => heard.push({ name: info.name, listed: library.count }));
    expect(heard).toEqual([{ name: 'photos', listed: 0 }]);
    expect(library.count).toBe(3);

    const path = folderApi([], [], {}, { openFolder: ({ path: p }) => ({ folderId, root: p, name: 'other', recursive: true }) });
    const byPath = new LibraryStore(path);
    const opened: string[] = [];
    await byPath.open('/other', (info) => opened.push(info.root));
    expect(opened).toEqual(['/other']);

    const noStart = folderApi([], [], {}, { openStartFolder: () => null });
    const none = new LibraryStore(noStart);
    const never: string[] = [];
    await none.openStart(openStartFolder(noStart), (info) => never.push(info.name));
    expect(never).toEqual([]);
    expect(none.folder).toBeNull();
  });

  it('lists the first screen of a listing that came while the window mounted before indexing the rest', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const api = folderApi([], [], {}, { openStartFolder: () => ({ folderId, root: '/photos', name: 'photos', recursive: true }) });
      const start = openStartFolder(api);
      api.emit('scanBatch', packEntries(folderId, [entry('img10.jpg'), entry('img2.jpg')]));
      api.emit('scanBatch', { ...packEntries(folderId, [entry('img1.jpg')]), complete: true });
      api.emit('scanDone', { folderId, total: 3, problems: [], ms: 1, cancelled: false });
      const library = new LibraryStore(api);
      await library.openStart(start);
      expect(Array.from(library.names.order, (i) => library.ids[i])).toEqual(['img2.jpg', 'img10.jpg']);
      expect(library.count).toBe(3);
      expect(library.scanning).toBe(false);
      await vi.advanceTimersByTimeAsync(100);
      expect(Array.from(library.names.order, (i) => library.ids[i])).toEqual(['img1.jpg', 'img2.jpg', 'img10.jpg']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('opens nothing when main has no start folder', async () => {
    const api = folderApi([], [], {}, { openStartFolder: () => null });
    const library = new LibraryStore(api);
    await library.openStart(openStartFolder(api));
    expect(library.folder).toBeNull();
    expect(library.opening).toBe(false);
    expect(library.scanning).toBe(false);
    expect(library.error).toBeNull();
  });

  it('lists a cached listing that came in name order as it is, and a later out-of-order batch by name', async () => {
    const library = new LibraryStore(folderApi([]));
    await library.open('/photos');
    const inOrder = ['a/2.jpg', 'a/10.jpg', 'B.jpg', 'é.jpg', 'img02.jpg', 'img3.jpg'];
    library.onScanBatch({ ...packEntries(folderId, inOrder.slice(0, 2).map(entry)), sorted: true });
    library.onScanBatch({ ...packEntries(folderId, inOrder.slice(2).map(entry)), sorted: true });
    library.onScanDone({ folderId, total: 6, problems: [], ms: 1, cancelled: false, cached: true });
    await tick();
    const shown = () => Array.from(library.names.order, (i) => library.ids[i]);
    expect(shown()).toEqual(inOrder);
    // Its paths are lower-cased for search when the page is idle, not before it shows the listing.
    await vi.waitFor(() => expect(library.names.lower).toEqual(inOrder.map((id) => id.toLowerCase())));
    expect(library.indexOf('img3.jpg')).toBe(5);

    // Another folder scanned afresh: its batches carry no order, so the page sorts them.
    await library.open('/other');
    library.onScanBatch(packEntries(folderId, ['img3.jpg', 'img02.jpg', 'a/10.jpg'].map(entry)));
    library.onScanDone({ folderId, total: 3, problems: [], ms: 1, cancelled: false });
    await tick();
    expect(shown()).toEqual(['a/10.jpg', 'img02.jpg', 'img3.jpg']);
  });

  it('lists a folder\'s first batch at once, even when the rest of the listing follows in the same task', async () => {
    const library = new LibraryStore(folderApi([]));
    await library.open('/photos');
    const batch = (ids: string[], complete = false) => ({ ...packEntries(folderId, ids.map(entry)), sorted: true, complete });
    library.onScanBatch(batch(['a1.jpg', 'a2.jpg']));
    // No timer has run: the first screen is listed.
    expect(Array.from(library.names.order, (i) => library.ids[i])).toEqual(['a1.jpg', 'a2.jpg']);
    library.onScanBatch(batch(['a3.jpg']));
    library.onScanBatch(batch(['a4.jpg'], true));
    expect(library.names.order).toHaveLength(2);
    expect(library.count).toBe(4);
    await tick();
    expect(Array.from(library.names.order, (i) => library.ids[i])).toEqual(['a1.jpg', 'a2.jpg', 'a3.jpg', 'a4.jpg']);
  });

  it('lists the last batch of a listing at once, before the scan has ended', async () => {
    const library = new LibraryStore(folderApi([]));
    await library.open('/photos');
    library.onScanBatch(packEntries(folderId, [entry('b.jpg'), entry('a.jpg')]));
    await tick();
    expect(library.names.order).toHaveLength(2);
    // An ordinary batch right after waits for the next indexing slot; the listing's last does not.
    library.onScanBatch(packEntries(folderId, [entry('c.jpg')]));
    await tick();
    expect(library.names.order).toHaveLength(2);
    library.onScanBatch({ ...packEntries(folderId, [entry('d.jpg')]), complete: true });
    await tick();
    expect(Array.from(library.names.order, (i) => library.ids[i])).toEqual(['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg']);
    expect(library.scanning).toBe(true);
  });

  it('indexes a cached listing once it is complete, after its first screen, or a second after its last index', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const library = new LibraryStore(folderApi([]));
      await library.open('/photos');
      const batch = (ids: string[], complete = false) => ({ ...packEntries(folderId, ids.map(entry)), sorted: true, complete });
      library.onScanBatch(batch(['a1.jpg']));
      await vi.advanceTimersByTimeAsync(100);
      expect(library.names.order).toHaveLength(1);
      // More of it follows at once: an ordinary indexing slot (100 ms) passes without a re-index.
      library.onScanBatch(batch(['a2.jpg', 'a3.jpg']));
      await vi.advanceTimersByTimeAsync(200);
      expect(library.names.order).toHaveLength(1);
      expect(library.count).toBe(3);
      library.onScanBatch(batch(['a4.jpg'], true));
      await vi.advanceTimersByTimeAsync(0);
      expect(Array.from(library.names.order)).toEqual([0, 1, 2, 3]);
      // A listing that stalls is still indexed once a second.
      await library.open('/photos');
      library.onScanBatch(batch(['b1.jpg']));
      await vi.advanceTimersByTimeAsync(100);
      expect(library.names.order).toHaveLength(1);
      library.onScanBatch(batch(['b2.jpg']));
      await vi.advanceTimersByTimeAsync(1000);
      expect(library.names.order).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('finds any listed image by id while the scan goes on', async () => {
    const library = new LibraryStore(folderApi([]));
    await library.open('/photos');
    library.onScanBatch(packEntries(folderId, [entry('a.jpg'), entry('b.jpg')]));
    expect(library.indexOf('b.jpg')).toBe(1);
    expect(library.indexOf('c.jpg')).toBe(-1);
    library.onScanBatch(packEntries(folderId, [entry('c.jpg'), entry('d.jpg')]));
    expect(library.indexOf('c.jpg')).toBe(2);
    expect(library.indexOf('d.jpg')).toBe(3);
    expect(library.indexOf('a.jpg')).toBe(0);
    await library.open('/other');
    expect(library.indexOf('a.jpg')).toBe(-1);
    // Asked in any order, early ids first (the lookup stops at the id asked for), then late ones,
    // ones in between, missing ones, and ids of a batch that came after.
    const ids = Array.from({ length: 1000 }, (_, i) => `d/img${i}.jpg`);
    library.onScanBatch(packEntries(folderId, ids.map(entry)));
    for (const i of [10, 3, 999, 500, 11, 0]) expect(library.indexOf(ids[i])).toBe(i);
    expect(library.indexOf('d/img1000.jpg')).toBe(-1);
    library.onScanBatch(packEntries(folderId, [entry('d/img1000.jpg'), entry('z.jpg')]));
    expect(library.indexOf('z.jpg')).toBe(1001);
    expect(library.indexOf('d/img1000.jpg')).toBe(1000);
  });

  it('says why a folder could not be opened, and why the folder dialog failed', async () => {
    const api = fakeApi({
      openFolder: () => Promise.reject(appError('not_found', 'That folder no longer exists.')),
      pickFolder: () => Promise.reject(appError('internal', 'The dialog could not open.')),
    });
    const library = new LibraryStore(api);
    await library.open('/gone');
    expect(library.error?.message).toBe('That folder no longer exists.');
    expect(library.scanning).toBe(false);
    expect(library.opening).toBe(false);
    expect(await library.pickFolder()).toBeNull();
    expect(library.error?.message).toBe('The dialog could not open.');
    library.dismissError();
    expect(library.error).toBeNull();
  });

  it('a cancelled folder dialog answers null without an error', async () => {
    const library = new LibraryStore(fakeApi({ pickFolder: () => null }));
    expect(await library.pickFolder()).toBeNull();
    expect(library.error).toBeNull();
  });
});
