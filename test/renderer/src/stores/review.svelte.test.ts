import { describe, expect, it, vi } from 'vitest';
import { appError } from '../../../../app/errors';
import { nameOf } from '../../../../app/scan-batch';
import { LibraryStore } from '../../../../renderer/src/stores/library.svelte';
import { ReviewStore } from '../../../../renderer/src/stores/review.svelte';
import { done, entry, failed, folderApi, folderId, openFolder } from '../../../support/renderer-fixtures.svelte';
import type { FakeApi, Handlers } from '../../../support/fake-api';

const entries = ['cat-1.jpg', 'dog-1.jpg', 'cat-2.jpg', 'broken.jpg', 'new.jpg'].map(entry);
const results = [
  done('cat-1.jpg', ['cat', 0.9], ['dog', 0.1]),
  done('dog-1.jpg', ['dog', 0.6], ['cat', 0.4]),
  done('cat-2.jpg', ['cat', 0.3], ['dog', 0.2]),
  failed('broken.jpg'),
];

async function reviewFolder(more: Handlers = {}): Promise<{ review: ReviewStore; library: LibraryStore; shown: () => string[]; api: FakeApi }> {
  const api = folderApi(entries, results, {}, more);
  const library = new LibraryStore(api);
  const review = new ReviewStore(api, library);
  await openFolder(library, entries);
  await review.load(folderId);
  const shown = () => review.shownIds().map(nameOf);
  return { review, library, shown, api };
}

/** A promise and the function that settles it. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => ((resolve = yes), (reject = no)));
  return { promise, resolve, reject };
}

const staleOf = (review: ReviewStore) => ['cat-1.jpg', 'dog-1.jpg', 'cat-2.jpg', 'broken.jpg'].filter((id) => review.result(id)?.stale);

describe('ReviewStore', () => {
  it('loads the stored results and shows every image by name', async () => {
    const { review, shown } = await reviewFolder();
    expect(review.loading).toBe(false);
    expect(review.result('cat-1.jpg')?.scores[0]).toEqual(['cat', 0.9]);
    expect(shown()).toEqual(['broken.jpg', 'cat-1.jpg', 'cat-2.jpg', 'dog-1.jpg', 'new.jpg']);
    expect(review.entryAt(1)?.name).toBe('cat-1.jpg');
  });

  it('search, state and class filters narrow the view; clearing them shows every image again', async () => {
    const { review, shown } = await reviewFolder();
    review.setFilter({ search: 'CAT' });
    expect(shown()).toEqual(['cat-1.jpg', 'cat-2.jpg']);
    review.setFilter({ search: '', state: 'error' });
    expect(shown()).toEqual(['broken.jpg']);
    review.setFilter({ state: 'unclassified' });
    expect(shown()).toEqual(['new.jpg']);
    review.setFilter({ state: 'all' });
    review.toggleClass('dog');
    expect(shown()).toEqual(['dog-1.jpg']);
    review.toggleClass('dog');
    expect(shown()).toHaveLength(5);
  });

  it('an image below the threshold has no class: the class filter and its labels agree', async () => {
    const { review, shown } = await reviewFolder();
    review.toggleClass('cat');
    expect(shown()).toEqual(['cat-1.jpg']);
    expect(review.labels(review.result('cat-2.jpg'))?.below).toBe(true);
    review.setThreshold(0.25);
    expect(shown()).toEqual(['cat-1.jpg', 'cat-2.jpg']);
    expect(review.labels(review.result('cat-2.jpg'))?.below).toBe(false);
  });

  it('sorts by confidence either way', async () => {
    const { review, shown } = await reviewFolder();
    review.setSort('confidence-desc');
    expect(shown().slice(0, 3)).toEqual(['cat-1.jpg', 'dog-1.jpg', 'cat-2.jpg']);
    review.setSort('confidence-asc');
    expect(shown().indexOf('cat-2.jpg')).toBeLessThan(shown().indexOf('cat-1.jpg'));
  });

  it('a job marks images queued, then running, then shows their result', async () => {
    const { review } = await reviewFolder();
    review.markQueued(['new.jpg']);
    expect(review.liveState('new.jpg')).toBe('queued');
    review.onJobItem({ jobId: 'job-1', folderId, id: 'new.jpg', state: 'running' });
    review.flush();
    expect(review.liveState('new.jpg')).toBe('running');
    review.onJobItem({ jobId: 'job-1', folderId, id: 'new.jpg', state: 'done', result: done('new.jpg', ['dog', 0.8]) });
    review.flush();
    expect(review.liveState('new.jpg')).toBeUndefined();
    expect(review.result('new.jpg')?.scores[0]).toEqual(['dog', 0.8]);
    expect(review.idsWhere((r) => r === undefined)).toEqual([]);
  });

  it('says when stored results could not be loaded, and the message can be dismissed', async () => {
    const api = folderApi(entries, [], {}, { resultsPage: () => Promise.reject(appError('unreadable_file', 'The results file is damaged.')) });
    const library = new LibraryStore(api);
    const store = new ReviewStore(api, library);
    await openFolder(library, entries);
    await store.load(folderId);
    expect(store.error?.message).toBe('The results file is damaged.');
    store.dismissError();
    expect(store.error).toBeNull();
  });

  it('clearing for another folder forgets results, thumbnail failures and filters', async () => {
    const { review } = await reviewFolder();
    review.setFilter({ search: 'cat' });
    review.setThumbError('cat-1.jpg', 'Cannot decode');
    expect(review.thumbErrors.get('cat-1.jpg')).toBe('Cannot decode');
    review.clear();
    expect(review.filter.search).toBe('');
    expect(review.thumbErrors.size).toBe(0);
    expect(review.result('cat-1.jpg')).toBeUndefined();
  });

  describe('once main has read every file (identitiesRead)', () => {
    it('shows the results main now judges stale as stale; another folder\'s word changes nothing', async () => {
      const { review, api } = await reviewFolder({ staleResults: () => ['cat-2.jpg', 'broken.jpg', 'gone.jpg'] });
      expect(staleOf(review)).toEqual([]);
      review.onIdentitiesRead('fedcba9876543210');
      expect(api.requests('staleResults')).toEqual([]);
      const before = review.version;
      review.onIdentitiesRead(folderId);
      await vi.waitFor(() => expect(staleOf(review)).toEqual(['cat-2.jpg', 'broken.jpg']));
      expect(api.requests('staleResults')).toEqual([{ folderId }]);
      expect(review.version).toBeGreaterThan(before);
      expect(review.result('cat-2.jpg')?.scores).toEqual([['cat', 0.3], ['dog', 0.2]]);
      expect(review.result('broken.jpg')?.status).toBe('error');
    });

    it('during a load, judges them once every page is in', async () => {
      const page = deferred<{ total: number; items: typeof results }>();
      const api = folderApi(entries, results, {}, { resultsPage: () => page.promise, staleResults: () => ['dog-1.jpg'] });
      const library = new LibraryStore(api);
      const review = new ReviewStore(api, library);
      await openFolder(library, entries);
      const loading = review.load(folderId);
      review.onIdentitiesRead(folderId);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(api.requests('staleResults')).toEqual([]);
      page.resolve({ total: results.length, items: results });
      await loading;
      await vi.waitFor(() => expect(staleOf(review)).toEqual(['dog-1.jpg']));
    });

    it('keeps a job\'s result that came while main was asked as it came', async () => {
      const answer = deferred<string[]>();
      const { review } = await reviewFolder({ staleResults: () => answer.promise });
      review.onIdentitiesRead(folderId);
      review.onJobItem({ jobId: 'job-1', folderId, id: 'cat-2.jpg', state: 'done', result: done('cat-2.jpg', ['dog', 0.7]) });
      review.flush();
      answer.resolve(['cat-2.jpg', 'dog-1.jpg']);
      await vi.waitFor(() => expect(staleOf(review)).toEqual(['dog-1.jpg']));
      expect(review.result('cat-2.jpg')?.scores).toEqual([['dog', 0.7]]);
    });

    it('leaves the marks as they were when main cannot answer, or when the results were loaded again meanwhile', async () => {
      const failing = await reviewFolder({ staleResults: () => Promise.reject(appError('internal', 'no')) });
      failing.review.onIdentitiesRead(folderId);
      await vi.waitFor(() => expect(failing.api.requests('staleResults')).toHaveLength(1));
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(staleOf(failing.review)).toEqual([]);
      expect(failing.review.error).toBeNull();

      const answer = deferred<string[]>();
      const { review } = await reviewFolder({ staleResults: () => answer.promise });
      review.onIdentitiesRead(folderId);
      // Another model chosen: its results are judged by their own load.
      await review.reload(folderId);
      answer.resolve(['cat-1.jpg']);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(review.result('cat-1.jpg')?.stale).toBe(false);
    });
  });
});
