import { describe, expect, it } from 'vitest';
import { appError } from '../../../../app/errors';
import { WebImagesStore } from '../../../../renderer/src/stores/web-images.svelte';
import { fakeApi } from '../../../support/fake-api';
import { done, folderId, progress } from '../../../support/renderer-fixtures.svelte';

const cat = 'https://example.com/cat.jpg';
const dog = 'https://example.com/dog.png';

describe('WebImagesStore', () => {
  it('lists the folder\'s stored web images, then classifies pasted URLs as a job', async () => {
    const api = fakeApi({ webImages: () => [done(cat, ['cat', 0.9])], classifyUrls: () => progress('running', { web: true, jobId: 'web-1' }) });
    const store = new WebImagesStore(api);
    await store.load(folderId);
    expect(store.items.map((item) => item.id)).toEqual([cat]);

    expect(await store.classify(`${dog}\n${cat}`)).toBeNull();
    expect(api.requests('classifyUrls')).toEqual([{ folderId, urls: [dog, cat] }]);
    // Already classified URLs are not marked queued again; re-pasted ones move to the newest end.
    expect(store.items).toEqual([{ id: dog, live: 'queued' }, { id: cat, result: done(cat, ['cat', 0.9]) }]);
    expect(store.active).toBe(true);

    store.onJobItem({ jobId: 'web-1', folderId, id: dog, state: 'running' });
    expect(store.items[0].live).toBe('running');
    store.onJobItem({ jobId: 'web-1', folderId, id: dog, state: 'done', result: done(dog, ['dog', 0.8]) });
    store.onProgress(progress('done', { web: true, jobId: 'web-1' }));
    expect(store.active).toBe(false);
    expect(store.items[0]).toEqual({ id: dog, result: done(dog, ['dog', 0.8]) });
  });

  it('refuses what is not an https image URL, and anything before a folder is open', async () => {
    const store = new WebImagesStore(fakeApi({ webImages: () => [] }));
    expect((await store.classify(cat))?.message).toMatch(/Open a folder first/);
    await store.load(folderId);
    expect((await store.classify('http://example.com/a.jpg'))?.message).toMatch(/is not an https image URL/);
    expect((await store.classify('   '))?.message).toMatch(/Paste an image address/);
    const many = Array.from({ length: 101 }, (_, i) => `https://example.com/${i}.jpg`).join('\n');
    expect((await store.classify(many))?.message).toBe('Paste at most 100 image URLs at a time.');
    expect(store.items).toEqual([]);
  });

  it('a refused job answers its error and leaves nothing marked queued; a stopped job says why', async () => {
    const api = fakeApi({ webImages: () => [], classifyUrls: () => Promise.reject(appError('no_key', 'Add your API key in Settings.')) });
    const store = new WebImagesStore(api);
    await store.load(folderId);
    expect((await store.classify(cat))?.code).toBe('no_key');
    expect(store.items).toEqual([{ id: cat }]);

    api.handle('classifyUrls', () => progress('running', { web: true }));
    await store.classify(cat);
    store.onProgress(progress('stopped', { web: true, error: appError('network', 'The endpoint cannot be reached.') }));
    expect(store.error?.message).toBe('The endpoint cannot be reached.');
    expect(store.items[0].live).toBeUndefined();
  });

  it('Cancel stops the running web job', async () => {
    const api = fakeApi({ webImages: () => [], classifyUrls: () => progress('running', { web: true }), cancelJob: () => progress('cancelled') });
    const store = new WebImagesStore(api);
    await store.load(folderId);
    await store.classify(cat);
    await store.cancel();
    expect(api.requests('cancelJob')).toEqual([{ jobId: 'job-1' }]);
    expect(store.progress?.state).toBe('cancelled');
    expect(store.items).toEqual([{ id: cat }]);
  });
});
