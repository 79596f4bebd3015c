import { flushSync } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { appError } from '../../../../app/errors';
import { nameOf } from '../../../../app/scan-batch';
import { normaliseSettings } from '../../../../app/settings';
import type { ResultSummary } from '../../../../app/types';
import type { Stores } from '../../../../renderer/src/stores/app-stores';
import { done, entry, folderApi, folderId, progress, storesWithFolder } from '../../../support/renderer-fixtures.svelte';
import type { FakeApi } from '../../../support/fake-api';

const entries = ['a.jpg', 'b.jpg', 'c.jpg'].map(entry);
const current = [done('a.jpg', ['cat', 0.9]), done('b.jpg', ['cat', 0.8]), done('c.jpg', ['dog', 0.7])];
const other = [done('a.jpg', ['cat', 0.95]), done('b.jpg', ['dog', 0.9])];

let stores: (Stores & { destroy: () => void }) | undefined;
afterEach(() => stores?.destroy());

/** Main with results of two models: the current one's and the comparison model's. */
function twoModels(compareResults: ResultSummary[] = other): FakeApi {
  const settings = normaliseSettings({ model: 'cats/2', compareModel: 'cats/3' });
  return folderApi(entries, current, {}, {
    getSettings: () => settings,
    resultsPage: ({ model, offset, limit }) => {
      const items = model === 'cats/3' ? compareResults : current;
      return { total: items.length, items: items.slice(offset, offset + limit) };
    },
    startJob: ({ model }) => progress('running', { jobId: 'cmp-1', model: model ?? 'cats/2', compare: true }),
    cancelJob: () => progress('cancelled', { jobId: 'cmp-1', model: 'cats/3', compare: true }),
  });
}

async function comparing(api: FakeApi): Promise<Stores & { destroy: () => void }> {
  stores = await storesWithFolder(api, entries);
  flushSync();
  // The comparison model's results are read once the settings name it.
  await vi.waitFor(
    () => {
      expect(api.requests('resultsPage').some((request) => request.model === 'cats/3')).toBe(true);
      expect(stores?.compare.loading).toBe(false);
    },
    { timeout: 10_000 },
  );
  return stores;
}

describe('CompareStore', () => {
  it('loads the second model\'s results and finds where the two models disagree', async () => {
    const { compare } = await comparing(twoModels());
    expect(compare.model).toBe('cats/3');
    expect(compare.result('b.jpg')?.scores[0][0]).toBe('dog');
    expect(compare.comparable).toBe(2);
    expect([...compare.disagree]).toEqual([1]);
  });

  it('"Models disagree" narrows the grid to those images', async () => {
    const { compare, review, library } = await comparing(twoModels());
    compare.setOnlyDisagree(true);
    expect(Array.from(review.view.order, (i) => nameOf(library.ids[i]))).toEqual(['b.jpg']);
    compare.setOnlyDisagree(false);
    expect(review.view.order).toHaveLength(3);
  });

  it('runs the comparison model over the folder, shows its results as they come and can be cancelled', async () => {
    const api = twoModels([]);
    const { compare } = await comparing(api);
    await compare.run();
    expect(api.requests('startJob')).toEqual([{ folderId, model: 'cats/3', engine: 'roboflow-api' }]);
    expect(compare.active).toBe(true);
    compare.onJobItem({ jobId: 'cmp-1', folderId, id: 'c.jpg', state: 'done', result: done('c.jpg', ['cat', 0.6]) });
    compare.onProgress(progress('done', { jobId: 'cmp-1', model: 'cats/3', compare: true }));
    expect(compare.active).toBe(false);
    expect(compare.result('c.jpg')?.scores[0][0]).toBe('cat');
    expect([...compare.disagree]).toEqual([2]);

    await compare.run(true);
    expect(api.requests('startJob').at(-1)).toEqual({ folderId, model: 'cats/3', engine: 'roboflow-api', force: true });
    await compare.cancel();
    expect(compare.progress?.state).toBe('cancelled');
  });

  it('says why the comparison run could not start or stopped', async () => {
    const api = twoModels();
    const { compare } = await comparing(api);
    api.handle('startJob', () => Promise.reject(appError('model_not_found', 'cats/3 does not exist.')));
    await compare.run();
    expect(compare.error?.message).toBe('cats/3 does not exist.');
    expect(compare.busy).toBe(false);
    compare.onProgress(progress('stopped', { jobId: 'cmp-2', model: 'cats/3', error: appError('unauthorized', 'Key refused.') }));
    expect(compare.error?.message).toBe('Key refused.');
  });

  it('with no comparison model there is nothing to compare or filter', async () => {
    const api = folderApi(entries, current);
    stores = await storesWithFolder(api, entries);
    flushSync();
    expect(stores.compare.model).toBe('');
    expect(stores.compare.allowed()).toBeNull();
    await stores.compare.run();
    expect(api.requests('startJob')).toEqual([]);
  });

  it('judges the comparison model\'s results again once main has read every file', async () => {
    const api = twoModels();
    api.handle('staleResults', ({ model }) => (model === 'cats/3' ? ['b.jpg'] : []));
    const { compare, review } = await comparing(api);
    expect(compare.result('b.jpg')?.stale).toBe(false);
    compare.onIdentitiesRead(folderId);
    review.onIdentitiesRead(folderId);
    await vi.waitFor(() => expect(compare.result('b.jpg')?.stale).toBe(true));
    expect(api.requests('staleResults')).toEqual(expect.arrayContaining([{ folderId, model: 'cats/3', engine: 'roboflow-api' }, { folderId }]));
    expect(compare.result('a.jpg')?.stale).toBe(false);
    expect(review.result('b.jpg')?.stale).toBe(false);
  });
});
