import { apiRef } from '../../../app/model-ref';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResultsStore } from '../../../main/services/results';
import { createSettingsStore } from '../../../main/services/settings-store';
import { createThumbnails } from '../../../main/services/thumbnails';
import { removeDir, tempDir, writeImage } from '../../support/service-fixtures';

// The data folder holds the user's settings, results and thumbnails of their pictures: on POSIX
// nobody else on the machine may read it (folders 0700, files 0600), whatever the umask.

let tmp: string;
let oldUmask: number;
beforeAll(async () => {
  tmp = await tempDir();
  oldUmask = process.umask(0o022); // the usual umask: new files would be world-readable
});
afterAll(async () => {
  process.umask(oldUmask);
  await removeDir(tmp);
});

const mode = async (p: string) => (await fs.stat(p)).mode & 0o777;

describe.runIf(process.platform !== 'win32')('private data folder', () => {
  it('creates the data, results and cache folders 0700 and config, journals and cache files 0600', async () => {
    const data = path.join(tmp, 'data');
    const settings = createSettingsStore({ dataDir: data });
    settings.update({ model: 'colors/1' });
    const store = createResultsStore({ dataDir: data });
    const journal = await store.journal('0123456789abcdef', apiRef('http://127.0.0.1:9001', 'colors/1'));
    await journal.append({ id: 'a.jpg', size: 1, mtimeMs: 1, status: 'done', response: {}, startedAt: 'x', finishedAt: 'y' });
    const cacheDir = path.join(data, 'cache', 'thumbnails');
    const thumbs = createThumbnails({ cacheDir, pruneDelayMs: 60_000 });
    await thumbs.thumbnail(await writeImage(path.join(tmp, 'pics', 'p.jpg')), 64);
    await thumbs.close();
    await store.close();

    expect(await mode(data)).toBe(0o700);
    expect(await mode(path.join(data, 'results'))).toBe(0o700);
    expect(await mode(journal.path)).toBe(0o600);
    expect(await mode(path.join(data, 'config.json'))).toBe(0o600);
    expect(await mode(path.join(data, 'cache'))).toBe(0o700);
    const [bucket] = await fs.readdir(cacheDir);
    expect(await mode(path.join(cacheDir, bucket))).toBe(0o700);
    const [cached] = await fs.readdir(path.join(cacheDir, bucket));
    expect(await mode(path.join(cacheDir, bucket, cached))).toBe(0o600);
  });

  it('tightens a data folder and journals left readable by an older version', async () => {
    const data = path.join(tmp, 'old');
    await fs.mkdir(path.join(data, 'results'), { recursive: true, mode: 0o755 });
    const store = createResultsStore({ dataDir: data });
    const key = '0123456789abcdef';
    const first = await store.journal(key, apiRef('http://127.0.0.1:9001', 'colors/1'));
    await store.close();
    await fs.chmod(first.path, 0o644);
    await fs.chmod(data, 0o755);
    const again = createResultsStore({ dataDir: data });
    await again.journal(key, apiRef('http://127.0.0.1:9001', 'colors/1'));
    await again.close();
    expect(await mode(data)).toBe(0o700);
    expect(await mode(first.path)).toBe(0o600);
  });
});
