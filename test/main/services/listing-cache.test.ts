import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Events } from '../../../app/contract';
import type { ScanDone } from '../../../app/types';
import { createLibrary, folderIdOf, type Library } from '../../../main/services/library';
import { createListingCache, naturalOrder } from '../../../main/services/listing-cache';
import { buildNameIndex } from '../../../app/view-filter';
import { perTestFolders, writeFile } from '../../support/service-fixtures';
import { idCount, idsOf } from '../../../app/front-coded';

// Re-opening a folder serves its last listing while no folder of it changed; adding, removing or
// rewriting a file is still seen.

const { folder, keep } = perTestFolders<Library>();

/** A fresh library (as after a restart) over the same data folder; answers the scan's end, the ids it
 *  sent (sorted, and as sent), its batches, and when it said every file's size and mtime was read. */
async function open(dataDir: string, root: string) {
  const sent: string[] = [];
  const batches: Array<Events['scanBatch']> = [];
  let read: () => void = () => undefined;
  const identitiesRead = new Promise<void>((resolve) => (read = resolve));
  const library = createLibrary({
    emit: (event, payload) => {
      if (event === 'identitiesRead') read();
      if (event !== 'scanBatch') return;
      batches.push(payload as Events['scanBatch']);
      sent.push(...idsOf((payload as Events['scanBatch']).ids));
    },
    listings: createListingCache({ dir: path.join(dataDir, 'cache', 'listings') }),
  });
  keep(library);
  const info = await library.open(root, true);
  const done: ScanDone = await library.get(info.folderId)!.done;
  return { library, info, done, batches, asSent: [...sent], ids: sent.sort(), identitiesRead };
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
    const stored = path.join(dataDir, 'cache', 'listings', `${first.info.folderId}-r.listing`);
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
    // The check reads every file, then says so.
    await rewritten.identitiesRead;
    expect(rewritten.library.get(rewritten.info.folderId)!.entries.get('sub/a.jpg')!.size).toBe(33);
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
    // Sizes and mtimes come back into main's entries with their ids (stale results are judged by them).
    const st = await fs.stat(path.join(root, 'sub', 'Img9.jpg'));
    expect(again.library.get(again.info.folderId)!.entries.get('sub/Img9.jpg')).toMatchObject({ size: st.size, mtimeMs: st.mtimeMs });
  });

  it('is not kept for a folder whose scan met a problem (it could clear without any mtime moving)', async () => {
    const root = await folder();
    const dataDir = await folder();
    await writeFile(path.join(root, 'sub', 'a.jpg'));
    await fs.symlink(path.join(root, 'missing.jpg'), path.join(root, 'broken.jpg'));
    await ageFolders(root);
    const first = await open(dataDir, root);
    expect(first.done.problems).toHaveLength(1);
    await expect(fs.stat(path.join(dataDir, 'cache', 'listings', `${first.info.folderId}-r.listing`))).rejects.toThrow();
  });
});

/** A listing file as the cache lays it out (magic, u32 header length, JSON header, padding to 8,
 *  Float64 sizes then mtimes, ids joined by '\n'), with any part replaceable to forge a bad one. */
function listingBytes(parts: {
  magic?: string;
  header: Record<string, unknown>;
  headerLength?: number;
  sizes: number[];
  mtimes: number[];
  ids: Buffer | string;
}): Buffer {
  const magic = Buffer.from(parts.magic ?? 'Classify Desk listing 3\n', 'latin1');
  const ids = typeof parts.ids === 'string' ? Buffer.from(parts.ids, 'utf8') : parts.ids;
  const header = Buffer.from(JSON.stringify({ idsBytes: ids.length, ...parts.header }), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(parts.headerLength ?? header.length);
  const pad = Buffer.alloc((8 - ((magic.length + 4 + header.length) % 8)) % 8);
  const columns = Buffer.from(new Float64Array([...parts.sizes, ...parts.mtimes]).buffer);
  return Buffer.concat([magic, length, header, pad, columns, ids]);
}

/** A folder (top.jpg, sub/a.jpg, sub/b.jpg) aged so its listing can be trusted, its real path,
 *  and the header fields a listing of it needs to be served. */
async function agedFolder() {
  const root = await folder();
  await writeFile(path.join(root, 'top.jpg'), 'top');
  await writeFile(path.join(root, 'sub', 'a.jpg'), 'aaaa');
  await writeFile(path.join(root, 'sub', 'b.jpg'), 'bb');
  await ageFolders(root);
  const real = await fs.realpath(root);
  const dirs = await Promise.all([real, path.join(real, 'sub')].map(async (d) => [d, (await fs.stat(d)).mtimeMs]));
  const ids = ['sub/a.jpg', 'sub/b.jpg', 'top.jpg'];
  const stats = await Promise.all(ids.map((id) => fs.stat(path.join(real, id))));
  return { root, real, ids, header: { root: real, recursive: true, dirs, count: 3 }, sizes: stats.map((s) => s.size), mtimes: stats.map((s) => s.mtimeMs) };
}

const listingFile = (dataDir: string, realRoot: string) => path.join(dataDir, 'cache', 'listings', `${folderIdOf(realRoot)}-r.listing`);

async function writeListing(dataDir: string, realRoot: string, bytes: Buffer): Promise<void> {
  await fs.mkdir(path.dirname(listingFile(dataDir, realRoot)), { recursive: true });
  await fs.writeFile(listingFile(dataDir, realRoot), bytes);
}

describe('natural order in steps', () => {
  const ids = Array.from({ length: 45_000 }, (_, i) => `d${i % 7}/img${(i * 7919) % 45_000}.jpg`);
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('gives the order a whole name index gives', async () => {
    expect(Array.from((await naturalOrder(ids, turn))!)).toEqual(Array.from(buildNameIndex(ids).order));
  });

  it('stops between steps once the order is no longer wanted', async () => {
    let steps = 0;
    const order = await naturalOrder(ids, turn, () => ++steps < 2);
    expect(order).toBeNull();
    expect(steps).toBe(2);
  });
});

describe('saving a listing its caller has in name order', () => {
  it('stores that order without sorting again, and sorts when the order does not name every id once', async () => {
    const dir = await folder();
    const root = await folder();
    const info = { folderId: '0123456789abcdef', root, name: 'photos', recursive: true };
    const cache = createListingCache({ dir });
    const columns = { ids: ['b/img10.jpg', 'a.jpg', 'b/img2.jpg'], sizes: [10, 1, 2], mtimes: [100, 11, 22] };
    // Taken as given (not the natural order, so a sort would show): sizes and mtimes follow their ids.
    await cache.save(info, [], columns, ['b/img2.jpg', 'a.jpg', 'b/img10.jpg']);
    expect(await cache.load(info)).toEqual({ ids: ['b/img2.jpg', 'a.jpg', 'b/img10.jpg'], sizes: Float64Array.from([2, 1, 10]), mtimes: Float64Array.from([22, 11, 100]) });
    for (const named of [['a.jpg', 'a.jpg', 'b/img2.jpg'], ['a.jpg', 'b/img2.jpg'], ['a.jpg', 'b/img2.jpg', 'c.jpg']]) {
      await cache.save(info, [], columns, named);
      expect((await cache.load(info))?.ids, named.join()).toEqual(['a.jpg', 'b/img2.jpg', 'b/img10.jpg']);
    }
  });

  it('gets the order of a start folder the library sent in name order, and serves it again so', async () => {
    const root = await folder();
    const dataDir = await folder();
    for (let i = 0; i < 30; i++) await writeFile(path.join(root, 'sub', `img${i}.jpg`));
    await ageFolders(root);
    const real = createListingCache({ dir: path.join(dataDir, 'cache', 'listings') });
    const given: Array<readonly string[] | undefined> = [];
    const library = createLibrary({
      emit: () => undefined,
      listings: { ...real, save: (info, dirs, entries, named) => (given.push(named), real.save(info, dirs, entries, named)) },
    });
    keep(library);
    await library.prefetch(root, true);
    // Read whole (and sorted) before the page asks.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const info = await library.open(root, true);
    await library.get(info.folderId)!.done;
    const natural = Array.from({ length: 30 }, (_, i) => `sub/img${i}.jpg`);
    expect(given).toEqual([natural]);
    const again = await open(dataDir, root);
    expect(again.done).toMatchObject({ cached: true });
    expect(again.asSent).toEqual(natural);
  });
});

describe('listing cache file', () => {
  it('round-trips a few thousand entries: every id, size and mtime, in name order, and lookups after', async () => {
    const root = await folder();
    const dataDir = await folder();
    const names: string[] = [];
    for (let i = 0; i < 3000; i++) names.push(`d${i % 3}/${i % 7 ? 'img' : 'Ünïcode 日本'} ${i}.${i % 5 ? 'jpg' : 'png'}`);
    for (const [i, name] of names.entries()) await writeFile(path.join(root, name), 'x'.repeat(1 + (i % 97)));
    await fs.utimes(path.join(root, 'd1', 'img 1.jpg'), new Date(1_600_000_000_123), new Date(1_600_000_000_123));
    for (const d of ['d0', 'd1', 'd2']) await fs.utimes(path.join(root, d), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await fs.utimes(root, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));

    const first = await open(dataDir, root);
    expect(first.done.cached).toBeUndefined();
    const scanned = first.library.get(first.info.folderId)!.entries;
    const again = await open(dataDir, root);
    expect(again.done).toMatchObject({ total: 3000, cached: true });
    expect(again.asSent).toEqual(Array.from(buildNameIndex(first.ids.map((id) => ({ id }))).order, (i) => first.ids[i]));
    const served = again.library.get(again.info.folderId)!.entries;
    for (const id of first.ids) {
      const e = scanned.get(id)!;
      expect([id, served.get(id)?.size, served.get(id)?.mtimeMs]).toEqual([id, e.size, e.mtimeMs]);
    }
    const st = await fs.stat(path.join(root, 'd1', 'img 1.jpg'));
    expect(served.get('d1/img 1.jpg')).toMatchObject({ size: 2, mtimeMs: st.mtimeMs });
    expect(served.has('d0/missing.jpg')).toBe(false);
  });

  it('ends the listing of an empty folder served from the cache, as its scan did', async () => {
    const root = await folder();
    const dataDir = await folder();
    await fs.utimes(root, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const first = await open(dataDir, root);
    const again = await open(dataDir, root);
    expect(again.done).toMatchObject({ total: 0, cached: true });
    expect(again.batches.map((b) => [idCount(b.ids), b.complete])).toEqual(first.batches.map((b) => [idCount(b.ids), b.complete]));
    expect(again.batches.at(-1)?.complete).toBe(true);
  });

  it('serves a listing forged in the documented layout (so the cases below fail for their defect alone)', async () => {
    const dataDir = await folder();
    const f = await agedFolder();
    await writeListing(dataDir, f.real, listingBytes({ header: f.header, sizes: f.sizes, mtimes: f.mtimes, ids: f.ids.join('\n') }));
    expect((await open(dataDir, f.root)).done).toMatchObject({ total: 3, cached: true });
  });

  it('scans instead of serving a listing that is old, cut short, inconsistent or names anything but plain relative paths', async () => {
    const dataDir = await folder();
    const f = await agedFolder();
    const good = { header: f.header, sizes: f.sizes, mtimes: f.mtimes, ids: f.ids.join('\n') };
    const valid = listingBytes(good);
    const withIds = (ids: string[]) => listingBytes({ ...good, ids: ids.join('\n') });
    const bad: Record<string, Buffer> = {
      empty: Buffer.alloc(0),
      'an older version': listingBytes({ ...good, magic: 'Classify Desk listing 2\n' }),
      'cut short': valid.subarray(0, valid.length - 3),
      'a byte too many': Buffer.concat([valid, Buffer.from('x')]),
      'a header longer than the file': listingBytes({ ...good, headerLength: 0xffff_fff0 }),
      'a header that is not JSON': listingBytes({ ...good, headerLength: 5 }),
      'a huge count': listingBytes({ ...good, header: { ...f.header, count: 2 ** 40 } }),
      'more sizes than ids': listingBytes({ ...good, header: { ...f.header, count: 4 }, sizes: [...f.sizes, 1], mtimes: [...f.mtimes, 1] }),
      'ids bytes that disagree': listingBytes({ ...good, header: { ...f.header, idsBytes: 5 } }),
      'another folder': listingBytes({ ...good, header: { ...f.header, root: path.dirname(f.real) } }),
      'a folder outside the root': listingBytes({ ...good, header: { ...f.header, dirs: [...f.header.dirs, [path.dirname(f.real), 1]] } }),
      'a negative size': listingBytes({ ...good, sizes: [-1, ...f.sizes.slice(1)] }),
      'a mtime that is not a number': listingBytes({ ...good, mtimes: [NaN, ...f.mtimes.slice(1)] }),
      'an id with ..': withIds(['sub/../../outside.jpg', 'sub/b.jpg', 'top.jpg']),
      'an id that is ..': withIds(['..', 'sub/b.jpg', 'top.jpg']),
      'an absolute id': withIds(['/etc/passwd.jpg', 'sub/b.jpg', 'top.jpg']),
      'an id with NUL': withIds(['sub/a.jpg\0.png', 'sub/b.jpg', 'top.jpg']),
      'an empty id': withIds(['sub/a.jpg', '', 'top.jpg']),
      'an empty segment': withIds(['sub//a.jpg', 'sub/b.jpg', 'top.jpg']),
      'a hidden segment': withIds(['sub/.a.jpg', 'sub/b.jpg', 'top.jpg']),
      'a trailing newline': listingBytes({ ...good, ids: `${f.ids.join('\n')}\n` }),
      'ids that are not UTF-8': listingBytes({ ...good, ids: Buffer.concat([Buffer.from('sub/\xff', 'latin1'), Buffer.from('a.jpg\nsub/b.jpg\ntop.jpg')]) }),
    };
    for (const [name, bytes] of Object.entries(bad)) {
      await writeListing(dataDir, f.real, bytes);
      const opened = await open(dataDir, f.root);
      expect({ name, cached: opened.done.cached, ids: opened.ids }).toEqual({ name, cached: undefined, ids: f.ids });
      // The scan put a good listing in its place.
      expect((await fs.readFile(listingFile(dataDir, f.real))).subarray(0, 24).toString('latin1')).toBe('Classify Desk listing 3\n');
    }
  });

  it('scans instead of waiting on a FIFO or reading a device put where the listing belongs', async () => {
    if (process.platform === 'win32') return; // no FIFOs or /dev there
    const dataDir = await folder();
    const f = await agedFolder();
    await fs.mkdir(path.dirname(listingFile(dataDir, f.real)), { recursive: true });
    execFileSync('mkfifo', [listingFile(dataDir, f.real)]);
    const fromFifo = await open(dataDir, f.root);
    expect({ cached: fromFifo.done.cached, ids: fromFifo.ids }).toEqual({ cached: undefined, ids: f.ids });
    await fs.rm(listingFile(dataDir, f.real));
    await fs.symlink('/dev/zero', listingFile(dataDir, f.real));
    const fromDevice = await open(dataDir, f.root);
    expect({ cached: fromDevice.done.cached, ids: fromDevice.ids }).toEqual({ cached: undefined, ids: f.ids });
  });

  it('refuses, at the gate, an id of a forged listing that leads out of the folder through a link', async () => {
    const dataDir = await folder();
    const outside = await folder();
    await writeFile(path.join(outside, 'secret.jpg'), 'secret');
    const f = await agedFolder();
    await fs.symlink(outside, path.join(f.real, 'link'));
    await ageFolders(f.root);
    const dirs = await Promise.all([f.real, path.join(f.real, 'sub')].map(async (d) => [d, (await fs.stat(d)).mtimeMs]));
    const secret = (await fs.stat(path.join(outside, 'secret.jpg')));
    const ids = ['link/secret.jpg', ...f.ids];
    await writeListing(dataDir, f.real, listingBytes({ header: { ...f.header, dirs, count: 4 }, sizes: [secret.size, ...f.sizes], mtimes: [secret.mtimeMs, ...f.mtimes], ids: ids.join('\n') }));

    const opened = await open(dataDir, f.root);
    expect(opened.done).toMatchObject({ total: 4, cached: true });
    await expect(opened.library.resolve(opened.info.folderId, 'link/secret.jpg')).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(opened.library.resolve(opened.info.folderId, '../secret.jpg')).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(opened.library.resolve(opened.info.folderId, 'sub/a.jpg')).resolves.toBe(path.join(f.real, 'sub', 'a.jpg'));
  });

  it('drops a forged listing that names an image twice once the background check has seen it', async () => {
    const dataDir = await folder();
    const f = await agedFolder();
    const ids = ['sub/a.jpg', 'sub/a.jpg', 'sub/b.jpg', 'top.jpg'];
    await writeListing(dataDir, f.real, listingBytes({ header: { ...f.header, count: 4 }, sizes: [f.sizes[0], ...f.sizes], mtimes: [f.mtimes[0], ...f.mtimes], ids: ids.join('\n') }));
    const forged = await open(dataDir, f.root);
    expect(forged.done.cached).toBe(true);
    await forged.identitiesRead;
    await expect.poll(() => fs.stat(listingFile(dataDir, f.real)).then(() => true, () => false)).toBe(false);
    const next = await open(dataDir, f.root);
    expect({ cached: next.done.cached, ids: next.ids }).toEqual({ cached: undefined, ids: f.ids });
  });

  it('ignores a listing of the earlier JSON format and replaces it', async () => {
    const dataDir = await folder();
    const f = await agedFolder();
    const old = path.join(dataDir, 'cache', 'listings', `${folderIdOf(f.real)}-r.json`);
    await fs.mkdir(path.dirname(old), { recursive: true });
    await fs.writeFile(old, JSON.stringify({ v: 2, root: f.real, recursive: true, dirs: f.header.dirs, ids: ['ghost.jpg', ...f.ids], sizes: [1, ...f.sizes], mtimes: [1, ...f.mtimes] }));
    const opened = await open(dataDir, f.root);
    expect({ cached: opened.done.cached, ids: opened.ids }).toEqual({ cached: undefined, ids: f.ids });
    await expect(fs.stat(old)).rejects.toThrow();
    expect((await open(dataDir, f.root)).done).toMatchObject({ total: 3, cached: true });
  });
});
