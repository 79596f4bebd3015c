import { describe, expect, it } from 'vitest';
import { packEntries } from '../../../app/scan-batch';
import { openStartFolder } from '../../../renderer/src/start-folder';
import { fakeApi } from '../../support/fake-api';
import { entry, folderId } from '../../support/renderer-fixtures.svelte';

describe('openStartFolder', () => {
  it('asks main for its start folder naming no path, and keeps the scan events that come before the app takes them, in order', async () => {
    const info = { folderId, root: '/photos', name: 'photos', recursive: true };
    const api = fakeApi({ openStartFolder: () => info });
    const start = openStartFolder(api);
    expect(api.requests('openStartFolder')).toEqual([{}]);
    const batch = packEntries(folderId, [entry('a.jpg')]);
    api.emit('scanBatch', batch);
    api.emit('scanProblem', { folderId, path: 'x', code: 'unreadable_folder', message: 'Permission denied' });
    api.emit('scanDone', { folderId, total: 1, problems: [], ms: 1, cancelled: false });
    await expect(start.answer).resolves.toEqual(info);
    expect(start.take().map(([name]) => name)).toEqual(['scanBatch', 'scanProblem', 'scanDone']);
    // Once taken, the app's own listeners have them: nothing more is held.
    api.emit('scanBatch', batch);
    expect(start.take()).toEqual([]);
  });

  it('a failed request is reported by whoever takes the answer, not as an unhandled rejection', async () => {
    const start = openStartFolder(fakeApi());
    await expect(start.answer).rejects.toMatchObject({ code: 'internal' });
  });
});
