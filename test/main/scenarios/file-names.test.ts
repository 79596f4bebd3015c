import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullUrl, thumbUrl } from '../../../app/media-urls';
import { buildCliLibrary } from '../../../main/cli/cli-library';
import { createLibrary } from '../../../main/services/library';
import { createMediaHandler } from '../../../main/services/media';
import { createThumbnails } from '../../../main/services/thumbnails';
import { removeDir, tempDir, writeImage } from '../../support/service-fixtures';

// Odd but real file names on Linux and macOS: a backslash is an ordinary character there (the app
// must take it as the CLI does), and a name in a non-UTF-8 encoding gets a reason that says so.

let root: string;
let cache: string;
beforeAll(async () => {
  [root, cache] = await Promise.all([tempDir(), tempDir()]);
  await writeImage(path.join(root, 'back\\slash.jpg'));
  // "caf\xe9.jpg" in Latin-1: not valid UTF-8.
  await fs.writeFile(Buffer.concat([Buffer.from(root + '/caf'), Buffer.from([0xe9]), Buffer.from('.jpg')]), await fs.readFile(path.join(root, 'back\\slash.jpg')));
  await fs.mkdir(Buffer.concat([Buffer.from(root + '/dossier-'), Buffer.from([0xe9, 0x74, 0xe9])]));
});
afterAll(() => Promise.all([root, cache].map(removeDir)));

describe.runIf(process.platform !== 'win32')('file names', () => {
  it('serves and resolves an image whose name holds a backslash, as the CLI does', async () => {
    const library = createLibrary({ emit: () => undefined });
    const thumbnails = createThumbnails({ cacheDir: cache });
    const media = createMediaHandler({ library, thumbnails });
    const { folderId } = await library.open(root, true);
    await library.get(folderId)!.done;
    expect([...library.get(folderId)!.entries.keys()]).toContain('back\\slash.jpg');
    expect(await library.resolve(folderId, 'back\\slash.jpg')).toBe(path.join(root, 'back\\slash.jpg'));
    for (const url of [fullUrl(folderId, 'back\\slash.jpg'), thumbUrl(folderId, 'back\\slash.jpg', 64)]) {
      const res = await media(new Request(new URL(url, 'app://classify-desk/')));
      expect(res.status, url).toBe(200);
    }
    const cli = await buildCliLibrary([root], true);
    expect(await cli.resolve(cli.folders[0].info.folderId, 'back\\slash.jpg')).toBe(path.join(root, 'back\\slash.jpg'));
    await thumbnails.close();
    await library.close();
  });

  it('says that a file or folder name is not UTF-8, instead of "disappeared or a broken link"', async () => {
    const library = createLibrary({ emit: () => undefined });
    const { folderId } = await library.open(root, true);
    const done = await library.get(folderId)!.done;
    expect(done.problems).toHaveLength(2);
    for (const problem of done.problems) expect(problem.message, problem.path).toMatch(/not valid UTF-8/);
    await library.close();
  });
});
