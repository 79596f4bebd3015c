import { describe, expect, it } from 'vitest';
import { appError } from '../../../../app/errors';
import { JobStore } from '../../../../renderer/src/stores/job.svelte';
import { LibraryStore } from '../../../../renderer/src/stores/library.svelte';
import { ReviewStore } from '../../../../renderer/src/stores/review.svelte';
import { done, entry, failed, folderApi, folderId, openFolder, progress } from '../../../support/renderer-fixtures.svelte';
import type { FakeApi } from '../../../support/fake-api';

const entries = ['a.jpg', 'b.jpg', 'c.jpg'].map(entry);

async function jobOn(api: FakeApi): Promise<{ job: JobStore; review: ReviewStore }> {
  const library = new LibraryStore(api);
  const review = new ReviewStore(api, library);
  await openFolder(library, entries);
  await review.load(folderId);
  return { job: new JobStore(api, library, review), review };
}

describe('JobStore', () => {
  it('Run queues the images without a result and follows the job to its end', async () => {
    const api = folderApi(entries, [done('a.jpg', ['cat', 0.9])], {}, { startJob: () => progress('queued', { total: 2 }) });
    const { job, review } = await jobOn(api);
    await job.start('new');
    expect(api.requests('startJob')).toEqual([{ folderId }]);
    expect(job.active).toBe(true);
    expect(review.liveState('a.jpg')).toBeUndefined();
    expect(review.liveState('b.jpg')).toBe('queued');
    expect(review.liveState('c.jpg')).toBe('queued');

    job.onProgress(progress('running', { done: 1 }));
    expect(job.progress?.done).toBe(1);
    review.onJobItem({ jobId: 'job-1', folderId, id: 'b.jpg', state: 'done', result: done('b.jpg', ['dog', 0.7]) });
    job.onProgress(progress('done', { done: 2 }));
    expect(job.active).toBe(false);
    // The job's last items are shown at once when it ends, and nothing stays marked queued.
    expect(review.result('b.jpg')?.scores[0][0]).toBe('dog');
    expect(review.liveState('c.jpg')).toBeUndefined();
  });

  it('asks main for the right images per Run choice', async () => {
    const api = folderApi(entries, [done('a.jpg', ['cat', 0.9]), failed('b.jpg')], {}, { startJob: () => progress('queued') });
    const { job, review } = await jobOn(api);
    await job.start('failed');
    expect(review.liveState('b.jpg')).toBe('queued');
    expect(review.liveState('a.jpg')).toBeUndefined();
    await job.start('selected', ['c.jpg']);
    await job.start('force');
    expect(api.requests('startJob')).toEqual([
      { folderId, failedOnly: true },
      { folderId, ids: ['c.jpg'] },
      { folderId, force: true },
    ]);
  });

  it('Pause, Resume and Cancel show the state main answers', async () => {
    const api = folderApi(entries, [], {}, {
      startJob: () => progress('running'),
      pauseJob: () => progress('paused'),
      resumeJob: () => progress('running'),
      cancelJob: () => progress('cancelled'),
    });
    const { job, review } = await jobOn(api);
    await job.start('new');
    await job.pause();
    expect(job.progress?.state).toBe('paused');
    expect(job.active).toBe(true);
    await job.resume();
    expect(job.progress?.state).toBe('running');
    await job.cancel();
    expect(job.progress?.state).toBe('cancelled');
    expect(job.active).toBe(false);
    expect(review.liveState('a.jpg')).toBeUndefined();
    expect(api.requests('pauseJob')).toEqual([{ jobId: 'job-1' }]);
  });

  it('an event that overtook the answer does not take an ended job back to running', async () => {
    const api = folderApi(entries, [], {}, { startJob: () => progress('running') });
    const { job } = await jobOn(api);
    await job.start('new');
    job.onProgress(progress('done', { done: 3 }));
    job.onProgress(progress('running', { done: 2 }));
    expect(job.progress?.state).toBe('done');
  });

  it('a run that cannot start or stops for a systemic reason shows one banner, until dismissed', async () => {
    const api = folderApi(entries, [], {}, { startJob: () => Promise.reject(appError('no_key', 'Add your API key in Settings.')) });
    const { job, review } = await jobOn(api);
    await job.start('new');
    expect(job.banner?.message).toBe('Add your API key in Settings.');
    expect(review.liveState('a.jpg')).toBeUndefined();
    expect(job.busy).toBe(false);

    api.handle('startJob', () => progress('running'));
    await job.start('new');
    expect(job.banner).toBeNull();
    job.onProgress(progress('stopped', { error: appError('unauthorized', 'The key was refused.') }));
    expect(job.banner?.code).toBe('unauthorized');
    job.dismissBanner();
    expect(job.banner).toBeNull();
  });

  it('ignores web-image jobs and other folders', async () => {
    const { job } = await jobOn(folderApi(entries));
    job.onProgress(progress('running', { web: true }));
    job.onProgress(progress('running', { folderId: 'ffffffffffffffff' }));
    expect(job.progress).toBeNull();
  });
});
