import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Events } from '../../../app/contract';
import type { ScanDone } from '../../../app/types';
import { createLibrary, type Library } from '../../../main/services/library';
import { createListingCache } from '../../../main/services/listing-cache';
import { buildNameIndex } from '../../../app/view-filter';
import { perTestFolders, writeFile } from '../../support/service-fixtures';

// Re-opening a folder serves its last listing while no folder of it changed; adding, removing or
// rewriting a file is still seen.

const { folder, keep } = perTestFolders<Library>();

/** A fresh library (as after a restart) over the same data folder; answers the scan's end, the ids it
 *  sent (sorted, and as sent) and its batches. */
async function open(dataDir: string, root: string) {
  const sent: string[] = [];
  const batches: Array<Events['scanBatch']> = [];
  const library = createLibrary({
    emit: (event, payload) => {
      if (event !== 'scanBatch') return;
      batches.push(payload as Events['scanBatch']);
      sent.push(...(payload as Events['scanBatch']).ids);
    },
    listings: createListingCache({ dir: path.join(dataDir, 'cache', 'listings') }),
  });
  keep(library);
  const info = await library.open(root, true);
  const done: ScanDone = await library.get(info.folderId)!.done;
  return { library, info, done, batches, asSent: [...sent], ids: sent.sort() };
}

/** Dates every folder under root a minute back, as folders untouched for a while are. */
async function ageFolders(root: string, at = new Date(Date.now() - 60_000)): Promise<void> {
  await fs.utimes(path.join(root, 'sub'), at, at);
  await fs.utimes(root, at, at);
}

describe('listing cache', () => {
  it('is private, in the data folder, and serves the listing while the folders keep their mtimes', async () => {
    const root = await folder();
    const dataDir = await folder();
    await writeFile(path.join(root, 'top.jpg'));
    await writeFile(path.join(root, 'sub', 'a.jpg'));
    await writeFile(path.join(root, 'sub', 'b.jpg'));
    const old = new Date(Date.now() - 60_000);
    await ageFolders(root, old);

    const first = await open(dataDir, root);
    expect(first.ids).toEqual(['sub/a.jpg', 'sub/b.jpg', 'top.jpg']);
    const stored = path.join(dataDir, 'cache', 'listings', `${first.info.folderId}-r.json`);
    if (process.platform !== 'win32') {
      expect((await fs.stat(stored)).mode & 0o777).toBe(0o600);
      expect((await fs.stat(path.dirname(stored))).mode & 0o777).toBe(0o700);
    }
    // Nothing is written into the image folder.
    expect((await fs.readdir(root)).sort()).toEqual(['sub', 'top.jpg']);

    // A file slipped in with the folder's mtime put back: only the cache can answer without it.
    await writeFile(path.join(root, 'sub', 'hidden-by-cache.jpg'));
    await ageFolders(root, old);
    const again = await open(dataDir, root);
    expect(again.ids).toEqual(['sub/a.jpg', 'sub/b.jpg', 'top.jpg']);
    expect(again.done).toMatchObject({ total: 3, cached: true });
  });

  it('notices a file added to or removed from a sub-folder, and a file rewritten in place', async () => {
    const root = await folder();
    const dataDir = await folder();
    await writeFile(path.join(root, 'top.jpg'));
    await writeFile(path.join(root, 'sub', 'a.jpg'), 'aaaa');
    await writeFile(path.join(root, 'sub', 'b.jpg'));
    await ageFolders(root);
    expect((await open(dataDir, root)).done.total).toBe(3);

    await writeFile(path.join(root, 'sub', 'c.jpg'));
    const added = await open(dataDir, root);
    expect(added.done.total).toBe(4);
    expect(added.done.cached).toBeUndefined();
    expect(added.ids).toContain('sub/c.jpg');

    await ageFolders(root);
    expect((await open(dataDir, root)).done.total).toBe(4);
    await fs.rm(path.join(root, 'sub', 'b.jpg'));
    const removed = await open(dataDir, root);
    expect(removed.done.total).toBe(3);
    expect(removed.done.cached).toBeUndefined();
    expect(removed.ids).toEqual(['sub/a.jpg', 'sub/c.jpg', 'top.jpg']);

    // Rewritten in place: its folder's mtime does not move, so the cached listing is served and
    // the background check brings the file's new size in (results of it then show as stale).
    await ageFolders(root);
    await open(dataDir, root); // stores a listing with the aged folders
    const before = (await fs.stat(path.join(root, 'sub'))).mtime;
    await fs.writeFile(path.join(root, 'sub', 'a.jpg'), 'a much longer content than before');
    await fs.utimes(path.join(root, 'sub'), before, before);
    const rewritten = await open(dataDir, root);
    expect(rewritten.done).toMatchObject({ total: 3, cached: true });
    await expect.poll(() => rewritten.library.get(rewritten.info.folderId)!.entries.get('sub/a.jpg')!.size).toBe(33);
  });

  it('serves a listing in the grid\'s name order, saying so, whatever the names (digits, leading zeros, accents, CJK, case)', async () => {
    const root = await folder();
    const dataDir = await folder();
    const names = ['img10.jpg', 'img2.jpg', 'img002.jpg', 'IMG1.jpg', 'é.jpg', 'e.jpg', 'z.jpg', '日本.jpg', '10.png', '9.png', 'a-b.jpg', 'a_b.jpg', 'a b.jpg', 'a.b.jpg'];
    for (const name of names) await writeFile(path.join(root, name));
    for (const name of ['img10.jpg', 'Img9.jpg', '0001.jpg', 'ü.jpg']) await writeFile(path.join(root, 'sub', name));
    await ageFolders(root);
    const first = await open(dataDir, root);
    expect(first.done.cached).toBeUndefined();
    expect(first.batches.every((b) => !b.sorted)).toBe(true);

    const again = await open(dataDir, root);
    expect(again.done).toMatchObject({ total: names.length + 4, cached: true });
    expect(again.batches.length).toBeGreaterThan(0);
    expect(again.batches.every((b) => b.sorted === true)).toBe(true);
    // The order a fresh name index gives the same ids (what the page would otherwise compute).
    const fresh = buildNameIndex(first.ids.map((id) => ({ id })));
    expect(again.asSent).toEqual(Array.from(fresh.order, (i) => first.ids[i]));
    expect(again.asSent.slice(0, 4)).toEqual(['9.png', '10.png', 'a b.jpg', 'a_b.jpg']);
    // Sizes and mtimes travel with their ids.
    const batch = again.batches.find((b) => b.ids.includes('sub/Img9.jpg'))!;
    const at = batch.ids.indexOf('sub/Img9.jpg');
    const st = await fs.stat(path.join(root, 'sub', 'Img9.jpg'));
    expect([batch.sizes[at], batch.mtimes[at]]).toEqual([st.size, st.mtimeMs]);
  });

  it('is not kept for a folder whose scan met a problem (it could clear without any mtime moving)', async () => {
    const root = await folder();
    const dataDir = await folder();
    await writeFile(path.join(root, 'sub', 'a.jpg'));
    await fs.symlink(path.join(root, 'missing.jpg'), path.join(root, 'broken.jpg'));
    await ageFolders(root);
    const first = await open(dataDir, root);
    expect(first.done.problems).toHaveLength(1);
    await expect(fs.stat(path.join(dataDir, 'cache', 'listings', `${first.info.folderId}-r.json`))).rejects.toThrow();
  });
});
