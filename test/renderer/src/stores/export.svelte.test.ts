import { afterEach, describe, expect, it, vi } from 'vitest';
import { appError } from '../../../../app/errors';
import type { ExportDone } from '../../../../app/types';
import { ExportStore } from '../../../../renderer/src/stores/export.svelte';
import { fakeApi } from '../../../support/fake-api';

const folderId = '0123456789abcdef';

/** A promise the test settles by hand, so the store can be looked at while a call is pending. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('ExportStore', () => {
  afterEach(() => vi.useRealTimers());

  it('tells how many images were written where', async () => {
    const store = new ExportStore(fakeApi({ exportResults: () => ({ path: '/out/results.csv', count: 12, format: 'csv' }) }));
    expect(await store.run(folderId, 'csv')).toEqual({ kind: 'info', title: 'Exported', text: '12 images to /out/results.csv' });
    expect(store.running).toBeNull();
  });

  it('names the format of a folder export and every image that got no file', async () => {
    const done: ExportDone = {
      path: '/out/by-class',
      count: 2,
      format: 'class-folders',
      skipped: [{ id: 'x.jpg', code: 'unreadable_file', message: 'gone' }],
    };
    const api = fakeApi({ exportResults: () => done });
    const notice = await new ExportStore(api).run(folderId, 'class-folders', ['a', 'b']);
    expect(notice?.text).toMatch(/^2 images as class folders to \/out\/by-class\. .*x\.jpg/);
    expect(api.requests('exportResults')[0]).toEqual({ folderId, format: 'class-folders', ids: ['a', 'b'] });
  });

  it('says nothing when the save dialog was cancelled; says why an export failed or was cancelled', async () => {
    const api = fakeApi({ exportResults: () => null });
    const store = new ExportStore(api);
    expect(await store.run(folderId, 'json')).toBeNull();
    api.handle('exportResults', () => Promise.reject(appError('unreadable_file', 'The target folder is read-only')));
    expect(await store.run(folderId, 'json')).toEqual({ kind: 'error', title: 'Export failed', text: 'The target folder is read-only' });
    api.handle('exportResults', () => Promise.reject(appError('cancelled', 'Nothing was written.')));
    expect(await store.run(folderId, 'json')).toEqual({ kind: 'info', title: 'Export cancelled', text: 'Nothing was written.' });
  });

  it('runs one export at a time, shows its progress once it takes a moment, and Cancel asks main to stop', async () => {
    vi.useFakeTimers();
    const pending = deferred<ExportDone | null>();
    const api = fakeApi({ exportResults: () => pending.promise, cancelExport: () => true });
    const store = new ExportStore(api);
    const first = store.run(folderId, 'annotated');
    expect(store.running).toBe('annotated');
    expect(store.visible).toBe(false);
    expect(await store.run(folderId, 'csv')).toMatchObject({ title: 'An export is already running' });

    store.onProgress({ done: 3, total: 10, path: '/out' });
    expect(store.progress).toEqual({ done: 3, total: 10, path: '/out' });
    vi.advanceTimersByTime(300);
    expect(store.visible).toBe(true);

    await store.cancel();
    expect(store.cancelling).toBe(true);
    expect(api.requests('cancelExport')).toHaveLength(1);
    pending.reject(appError('cancelled', 'Export cancelled; nothing was left behind.'));
    expect(await first).toMatchObject({ title: 'Export cancelled' });
    expect(store.running).toBeNull();
    expect(store.visible).toBe(false);
    expect(store.progress).toBeNull();

    store.onProgress({ done: 1, total: 1, path: '/late' });
    expect(store.progress).toBeNull();
  });
});
