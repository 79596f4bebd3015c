import fsSync from 'node:fs';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventName, Events } from '../../../app/contract';
import { AppFailure } from '../../../app/errors';
import type { FolderInfo, ImageEntry, ScanProblem } from '../../../app/types';
import { createLibrary, folderIdOf, type Library } from '../../../main/services/library';
import { isProblem, scanFolder } from '../../../main/services/scan';
import { perTestFolders, writeFile } from '../../support/service-fixtures';
import { idCount, idsOf } from '../../../app/front-coded';
import { tickEachTurn } from '../../support/event-loop-ticks';
import { createForeground, type Foreground } from '../../../main/services/foreground';

type Recorded = { [E in EventName]: { event: E; payload: Events[E] } }[EventName];

const { folder, keep } = perTestFolders<Library>();

function recordingLibrary(onEvent?: (e: Recorded) => void, foreground?: Foreground) {
  const events: Recorded[] = [];
  const library = createLibrary({
    emit: (event, payload) => {
      const recorded = { event, payload } as Recorded;
      events.push(recorded);
      onEvent?.(recorded);
    },
    foreground,
  });
  keep(library);
  return { library, events };
}

async function scanAll(root: string, recursive = true) {
  const entries: ImageEntry[] = [];
  const problems: ScanProblem[] = [];
  for await (const item of scanFolder(root, { recursive })) {
    if (isProblem(item)) problems.push(item.problem);
    else entries.push(item);
  }
  return { ids: entries.map((e) => e.id).sort(), entries, problems };
}

describe('scanFolder', () => {
  it('finds images in nested folders, by extension in any case, skipping hidden and other files', async () => {
    const root = await folder();
    await writeFile(path.join(root, 'a.jpg'), 'aaaa');
    await writeFile(path.join(root, 'B.JPEG'));
    await writeFile(path.join(root, 'c.Png'));
    await writeFile(path.join(root, 'notes.txt'));
    await writeFile(path.join(root, 'noext'));
    await writeFile(path.join(root, '.hidden.jpg'));
    await writeFile(path.join(root, '.secret', 'x.jpg'));
    await writeFile(path.join(root, 'sub', 'd.webp'));
    await writeFile(path.join(root, 'sub', 'deeper', 'e.tif'));
    await writeFile(path.join(root, 'sub', 'deeper', 'f.TIFF'));
    await writeFile(path.join(root, 'sub', 'g.bmp'));
    await writeFile(path.join(root, 'sub', 'h.gif'));
    await writeFile(path.join(root, 'sub', 'archive.zip'));

    const { ids, entries, problems } = await scanAll(root);
    expect(ids).toEqual(['B.JPEG', 'a.jpg', 'c.Png', 'sub/d.webp', 'sub/deeper/e.tif', 'sub/deeper/f.TIFF', 'sub/g.bmp', 'sub/h.gif']);
    expect(problems).toEqual([]);
    const a = entries.find((e) => e.id === 'a.jpg')!;
    const st = await fs.stat(path.join(root, 'a.jpg'));
    expect(a).toEqual({ id: 'a.jpg', name: 'a.jpg', size: 4, mtimeMs: st.mtimeMs });

    const flat = await scanAll(root, false);
    expect(flat.ids).toEqual(['B.JPEG', 'a.jpg', 'c.Png']);
  });

  it('keeps unicode names and spaces exactly as on disk, with stable ids', async () => {
    const root = await folder();
    const names = ['Café au lait.jpg', 'über/straße 1.png', '日本語/写真 (2).jpeg', 'e\u0301cole.jpg'];
    for (const name of names) await writeFile(path.join(root, name));
    const first = await scanAll(root);
    const second = await scanAll(root);
    expect(first.ids).toEqual([...names].sort());
    expect(second.ids).toEqual(first.ids);
    // The decomposed name stays decomposed, so the id leads back to the file.
    for (const id of first.ids) await fs.access(path.join(root, ...id.split('/')));
  });

  it('reports a symlink loop instead of hanging, and does not follow links out of the folder', async () => {
    const root = await folder();
    const outside = await folder();
    await writeFile(path.join(root, 'sub', 'a.jpg'));
    await writeFile(path.join(outside, 'secret.jpg'));
    await fs.symlink(root, path.join(root, 'sub', 'back-to-root'));
    await fs.symlink(outside, path.join(root, 'elsewhere'));
    await fs.symlink(path.join(outside, 'secret.jpg'), path.join(root, 'linked-secret.jpg'));
    await fs.symlink(path.join(root, 'loop2.jpg'), path.join(root, 'loop1.jpg'));
    await fs.symlink(path.join(root, 'loop1.jpg'), path.join(root, 'loop2.jpg'));
    await fs.symlink(path.join(root, 'sub', 'a.jpg'), path.join(root, 'inside-link.jpg'));

    const { ids, problems } = await scanAll(root);
    expect(ids).toEqual(['inside-link.jpg', 'sub/a.jpg']);
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.code]));
    expect(byPath).toEqual({
      'sub/back-to-root': 'symlink_loop',
      elsewhere: 'unreadable_folder',
      'linked-secret.jpg': 'unreadable_file',
      'loop1.jpg': 'symlink_loop',
      'loop2.jpg': 'symlink_loop',
    });
    for (const p of problems) expect(p.message.length).toBeGreaterThan(10);
  });

  it('reports unreadable files and a folder that vanished mid-scan, and goes on', async () => {
    const root = await folder();
    await writeFile(path.join(root, 'first.jpg'));
    await writeFile(path.join(root, 'gone', 'x.jpg'));
    await writeFile(path.join(root, 'kept', 'y.jpg'));
    await fs.symlink(path.join(root, 'nowhere.jpg'), path.join(root, 'broken.jpg'));
    // A FIFO named like an image: opening it would block forever, so it must be refused unread.
    execFileSync('mkfifo', [path.join(root, 'pipe.jpg')]);

    const entries: string[] = [];
    const problems: ScanProblem[] = [];
    for await (const item of scanFolder(root)) {
      if (isProblem(item)) {
        problems.push(item.problem);
        continue;
      }
      entries.push(item.id);
      // Breadth first: the top folder is read before 'gone' is opened, so removing it now is seen.
      if (item.id === 'first.jpg') await fs.rm(path.join(root, 'gone'), { recursive: true });
    }
    expect(entries.sort()).toEqual(['first.jpg', 'kept/y.jpg']);
    expect(problems.map((p) => [p.path, p.code]).sort()).toEqual([
      ['broken.jpg', 'unreadable_file'],
      ['gone', 'unreadable_folder'],
      ['pipe.jpg', 'unreadable_file'],
    ]);
  });
});

describe('library', () => {
  it('returns the folder at once and streams its ids in batches, then reads their sizes and mtimes before the scan ends', async () => {
    const root = await folder();
    for (let d = 0; d < 5; d++) {
      await fs.mkdir(path.join(root, `d${d}`));
      await Promise.all(Array.from({ length: 1000 }, (_, i) => fs.writeFile(path.join(root, `d${d}`, `img ${i}.jpg`), 'x')));
    }
    // Main's own entries (stale results are judged by them) hold only identities it has read.
    let readAtLastBatch = -1;
    const { library, events } = recordingLibrary((e) => {
      if (e.event === 'scanBatch') readAtLastBatch = library.get(e.payload.folderId)!.entries.size;
    });
    const info = await library.open(root, true);
    expect(info).toEqual({ folderId: folderIdOf(root), root, name: path.basename(root), recursive: true });
    expect(info.folderId).toMatch(/^[0-9a-f]{16}$/);
    const done = await library.get(info.folderId)!.done;
    expect(done).toMatchObject({ folderId: info.folderId, total: 5000, problems: [], cancelled: false });

    const batches = events.filter((e) => e.event === 'scanBatch').map((e) => e.payload as Events['scanBatch']);
    expect(readAtLastBatch).toBe(0);
    expect(batches.length).toBeGreaterThan(1);
    // The first batch is small, for the first screen; later ones are larger but bounded.
    expect(idCount(batches[0].ids)).toBeLessThanOrEqual(1000);
    for (const b of batches) expect(idCount(b.ids)).toBeLessThanOrEqual(25_000);
    // Ids that share their start with the one before go out front-coded.
    expect(batches.filter((b) => idCount(b.ids) >= 100).every((b) => !Array.isArray(b.ids))).toBe(true);
    const listed = batches.flatMap((b) => idsOf(b.ids));
    expect(new Set(listed).size).toBe(5000);
    // Ids only: no size or date goes to the page with the listing.
    expect(batches.every((b) => Object.keys(b).every((key) => ['folderId', 'ids', 'complete'].includes(key)))).toBe(true);
    // The listing's last batch says so (the page lists it at once); no other does.
    expect(batches.map((b) => b.complete === true)).toEqual(batches.map((_, i) => i === batches.length - 1));
    // Main has every listed file's size and mtime by the scan's end.
    const entries = library.get(info.folderId)!.entries;
    expect(entries.size).toBe(5000);
    const st = await fs.stat(path.join(root, listed[4321]));
    expect(entries.get(listed[4321])).toMatchObject({ size: 1, mtimeMs: st.mtimeMs });
    expect(events.at(-1)?.event).toBe('scanDone');
    expect(events.filter((e) => e.event === 'scanDone')).toHaveLength(1);
  });

  it('keeps a file that vanished between its listing and the read of its size out of its entries, as a problem', async () => {
    const root = await folder();
    await writeFile(path.join(root, 'a.jpg'));
    await writeFile(path.join(root, 'b.jpg'), 'bb');
    const { library, events } = recordingLibrary((e) => {
      // Listed, not yet read: the listing's last batch goes out before the first read.
      if (e.event === 'scanBatch' && e.payload.complete) fsSync.rmSync(path.join(root, 'a.jpg'));
    });
    const info = await library.open(root, true);
    const done = await library.get(info.folderId)!.done;
    expect(done.problems).toEqual([expect.objectContaining({ path: 'a.jpg', code: 'unreadable_file' })]);
    expect([...library.get(info.folderId)!.entries.keys()]).toEqual(['b.jpg']);
    expect(library.get(info.folderId)!.entries.get('b.jpg')).toMatchObject({ size: 2 });
    const listed = events.filter((e) => e.event === 'scanBatch').flatMap((e) => idsOf((e.payload as Events['scanBatch']).ids));
    expect(listed.sort()).toEqual(['a.jpg', 'b.jpg']);
  });

  it('reads the start folder before the page asks, sends nothing and serves nothing of it until the page opens it', async () => {
    const root = await folder();
    for (let i = 0; i < 100; i++) await writeFile(path.join(root, 'sub', `img${i}.jpg`));
    const other = await folder();
    await writeFile(path.join(other, 'x.jpg'));
    const { library, events } = recordingLibrary();
    await library.prefetch(root, true);
    const folderId = folderIdOf(root);
    // Let the early scan run to its end: still nothing sent, nothing readable.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events).toEqual([]);
    expect(library.get(folderId)).toBeUndefined();
    await expect(library.resolve(folderId, 'sub/img1.jpg')).rejects.toMatchObject({ code: 'not_found' });

    const info = await library.open(root, true);
    expect(info.folderId).toBe(folderId);
    await library.get(folderId)!.listed;
    const done = await library.get(folderId)!.done;
    expect(done).toMatchObject({ total: 100, cancelled: false });
    const batches = events.filter((e) => e.event === 'scanBatch').map((e) => e.payload as Events['scanBatch']);
    // Read whole before the page asked: it goes out in natural name order, and says so, its ids
    // front-coded in that order.
    expect(batches.flatMap((b) => idsOf(b.ids))).toEqual(Array.from({ length: 100 }, (_, i) => `sub/img${i}.jpg`));
    expect(batches.every((b) => b.sorted === true)).toBe(true);
    expect(batches.every((b) => !Array.isArray(b.ids))).toBe(true);
    expect(batches.map((b) => b.complete === true)).toEqual(batches.map((_, i) => i === batches.length - 1));
    expect(events.filter((e) => e.event === 'scanDone')).toHaveLength(1);
    expect(events.at(-1)?.event).toBe('scanDone');
    expect(await library.resolve(folderId, 'sub/img1.jpg')).toBe(path.join(root, 'sub', 'img1.jpg'));

    // Opened again: a fresh scan, not the early one again, streamed as found.
    events.length = 0;
    await library.get((await library.open(root, true)).folderId)!.done;
    expect(events.filter((e) => e.event === 'scanDone')).toHaveLength(1);
    const again = events.filter((e) => e.event === 'scanBatch').map((e) => e.payload as Events['scanBatch']);
    expect(again.some((b) => b.sorted)).toBe(false);
    expect(again.flatMap((b) => idsOf(b.ids)).sort()).toEqual(Array.from({ length: 100 }, (_, i) => `sub/img${i}.jpg`).sort());
  });

  it('sends every image of a start folder once when the page asks before it is read whole', async () => {
    const root = await folder();
    for (let d = 0; d < 4; d++) for (let i = 0; i < 500; i++) await writeFile(path.join(root, `d${d}`, `img${i}.jpg`));
    const { library, events } = recordingLibrary();
    await library.prefetch(root, true);
    // At once: the early read is still listing (or sorting) what it found.
    const info = await library.open(root, true);
    // The reading's end, and what it held gone out (one batch per turn, after the answer).
    await library.get(info.folderId)!.done;
    await library.get(info.folderId)!.listed;
    const ids = events.filter((e) => e.event === 'scanBatch').flatMap((e) => idsOf((e.payload as Events['scanBatch']).ids));
    expect(ids).toHaveLength(2000);
    expect(new Set(ids).size).toBe(2000);
    expect(events.filter((e) => e.event === 'scanDone')).toHaveLength(1);
  });

  it('loses nothing the early read sends while its held events are still going out', async () => {
    const root = await folder();
    for (let d = 0; d < 4; d++) for (let i = 0; i < 500; i++) await writeFile(path.join(root, `d${d}`, `img${i}.jpg`));
    // Foreground work that ends a while after its own part (as when other foreground work waits
    // behind it): here, not before the reading has sent everything else. On a loaded machine
    // the same gap came from the turns the stat pass was waiting for (CI, 2026-11-28).
    const base = createForeground();
    let scanEnded: Promise<unknown> = Promise.resolve();
    const lagging: Foreground = { ...base, run: async (work) => base.run(work).then(async (value) => (await scanEnded, value)) };
    const { library, events } = recordingLibrary(undefined, lagging);
    await library.prefetch(root, true);
    const info = await library.open(root, true);
    scanEnded = library.get(info.folderId)!.done;
    await library.get(info.folderId)!.listed;
    const ids = events.filter((e) => e.event === 'scanBatch').flatMap((e) => idsOf((e.payload as Events['scanBatch']).ids));
    expect(new Set(ids).size).toBe(2000);
    expect(ids).toHaveLength(2000);
    expect(events.filter((e) => e.event === 'scanDone')).toHaveLength(1);
    expect(events.at(-1)?.event).toBe('scanDone');
  });

  it('answers the page first, then sends a start folder read before it asked one batch per turn, in order, serving other work between', async () => {
    const root = await folder();
    for (let i = 0; i < 2500; i++) fsSync.writeFileSync(path.join(root, `img${i}.jpg`), 'x');
    // What the event loop ran, in order: each batch as it went out, and a tick of other work (a
    // thumbnail request, say) at each turn.
    const order: string[] = [];
    const { library, events } = recordingLibrary((e) => {
      if (e.event === 'scanBatch') order.push('batch');
    });
    await library.prefetch(root, true);
    // The early read ends (and sorts) well within this: then the whole listing is held.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const stopTicks = tickEachTurn(() => order.push('tick'));
    const info = await library.open(root, true);
    order.push('answer');
    await library.get(info.folderId)!.listed;
    stopTicks();
    await library.get(info.folderId)!.done;
    const batches = order.flatMap((what, at) => (what === 'batch' ? [at] : []));
    expect(batches.length).toBeGreaterThanOrEqual(2);
    // The page has its answer before the first batch: it lists that batch as it comes.
    expect(order.indexOf('answer')).toBeLessThan(batches[0]);
    for (let k = 1; k < batches.length; k++) expect(order.slice(batches[k - 1], batches[k])).toContain('tick');
    const ids = events.filter((e) => e.event === 'scanBatch').flatMap((e) => idsOf((e.payload as Events['scanBatch']).ids));
    expect(ids).toEqual(Array.from({ length: 2500 }, (_, i) => `img${i}.jpg`));
    expect(events.at(-1)?.event).toBe('scanDone');
  });

  it('drops an early scan when the page opens another folder first', async () => {
    const root = await folder();
    await writeFile(path.join(root, 'a.jpg'));
    const other = await folder();
    await writeFile(path.join(other, 'x.jpg'));
    const { library, events } = recordingLibrary();
    await library.prefetch(root, true);
    const info = await library.open(other, true);
    await library.get(info.folderId)!.done;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events.every((e) => (e.payload as { folderId?: string }).folderId === info.folderId)).toBe(true);
    expect(events.filter((e) => e.event === 'scanBatch').flatMap((e) => idsOf((e.payload as Events['scanBatch']).ids))).toEqual(['x.jpg']);
    // Opening the first folder afterwards scans it as usual.
    const first = await library.open(root, true);
    expect(await library.get(first.folderId)!.done).toMatchObject({ total: 1 });
  });

  it('refuses a missing folder and a file with clear errors', async () => {
    const root = await folder();
    const file = await writeFile(path.join(root, 'a.jpg'));
    const { library } = recordingLibrary();
    await expect(library.open(path.join(root, 'missing'), true)).rejects.toMatchObject({ code: 'not_found' });
    await expect(library.open(file, true)).rejects.toThrow(/not a folder/);
    await expect(library.open(file, true)).rejects.toBeInstanceOf(AppFailure);
  });

  it('cancels the running scan when another folder is opened, yet keeps the first resolvable', async () => {
    const big = await folder();
    // Enough files that the first scan (ids, then a stat each) is still going when the second open
    // has checked its folder: with ids listed before the stats, 5,000 could finish in that time.
    const count = 20_000;
    for (let i = 0; i < count; i++) fsSync.writeFileSync(path.join(big, `p${i}.png`), 'x');
    const small = await folder();
    await writeFile(path.join(small, 'one.jpg'));
    const pending: { second?: Promise<FolderInfo> } = {};
    const { library, events } = recordingLibrary((e) => {
      if (e.event === 'scanBatch' && !pending.second) pending.second = library.open(small, true);
    });
    const first = await library.open(big, true);
    const firstDone = await library.get(first.folderId)!.done;
    const info = await pending.second!;
    const secondDone = await library.get(info.folderId)!.done;
    expect(firstDone.cancelled).toBe(true);
    expect(firstDone.total).toBeLessThan(count);
    expect(secondDone).toMatchObject({ total: 1, cancelled: false });
    expect(await library.resolve(first.folderId, 'p19999.png')).toBe(path.join(big, 'p19999.png'));
    const batchesOfFirst = events.filter((e) => e.event === 'scanBatch' && e.payload.folderId === first.folderId);
    expect(batchesOfFirst.length).toBeGreaterThan(0);
  });

  it('resolves ids only inside the opened folder', async () => {
    const root = await folder();
    const outside = await folder();
    await writeFile(path.join(root, 'sub dir', 'Ünï côde.jpg'));
    await writeFile(path.join(outside, 'secret.jpg'));
    await writeFile(path.join(root, 'notes.txt'));
    await fs.symlink(path.join(outside, 'secret.jpg'), path.join(root, 'escape.jpg'));
    await fs.symlink(outside, path.join(root, 'escape-dir'));
    const { library } = recordingLibrary();
    const { folderId } = await library.open(root, true);
    await library.get(folderId)!.done;

    expect(await library.resolve(folderId, 'sub dir/Ünï côde.jpg')).toBe(path.join(root, 'sub dir', 'Ünï côde.jpg'));
    const refusedIds = [
      '../' + path.basename(outside) + '/secret.jpg',
      'sub dir/../../x.jpg',
      path.join(outside, 'secret.jpg'),
      '/etc/passwd.jpg',
      'C:/x.jpg',
      'a.jpg\0.png',
      './sub dir/Ünï côde.jpg',
      'escape.jpg',
      'escape-dir/secret.jpg',
      'notes.txt',
    ];
    for (const id of refusedIds) await expect(library.resolve(folderId, id), id).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(library.resolve(folderId, 'missing.jpg')).rejects.toMatchObject({ code: 'not_found' });
    // A backslash separates folders only on Windows; elsewhere this is one (missing) file name.
    await expect(library.resolve(folderId, 'sub dir\\..\\..\\x.jpg')).rejects.toMatchObject({ code: process.platform === 'win32' ? 'invalid_input' : 'not_found' });
    await expect(library.resolve('0123456789abcdef', 'sub dir/Ünï côde.jpg')).rejects.toMatchObject({ code: 'not_found' });
  });
});
