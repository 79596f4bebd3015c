import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCachePruner, pruneCache, scanCache, trimCache } from '../../../main/services/cache-pruner';
import { removeDir, tempDir } from '../../support/service-fixtures';

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map(removeDir));
  dirs = [];
});

async function cacheDir(): Promise<string> {
  const dir = await tempDir('classify-desk-cache-');
  dirs.push(dir);
  return dir;
}

const minute = 60_000;
const t0 = Date.UTC(2024, 0, 1);

/** A cache file of `size` bytes last used `age` minutes before t0, in a shard folder like the cache's. */
async function put(dir: string, name: string, size: number, age: number): Promise<string> {
  const file = path.join(dir, name.slice(0, 2), name);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, Buffer.alloc(size, 7));
  const when = new Date(t0 - age * minute);
  await fs.utimes(file, when, when);
  return file;
}

async function remaining(dir: string): Promise<string[]> {
  const found = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return found.filter((d) => d.isFile()).map((d) => d.name).sort();
}

async function bytesIn(dir: string): Promise<number> {
  const found = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(found.filter((d) => d.isFile()).map((d) => fs.stat(path.join(d.parentPath, d.name)).then((s) => s.size)));
  return sizes.reduce((a, b) => a + b, 0);
}

const clock = () => t0;

describe('pruneCache', () => {
  it('removes the least recently used files first, down to just under 90 % of the budget', async () => {
    const dir = await cacheDir();
    // Ten files of 1,000 bytes, aa0 the oldest; 10,000 bytes against a budget of 8,000.
    for (let i = 0; i < 10; i++) await put(dir, `${'abcdefghij'[i].repeat(2)}${i}.jpg`, 1000, 100 - i);
    const result = await pruneCache(dir, 8000, clock);
    // The target is 7,200 bytes: three files go (7,000 left), the three oldest.
    expect(result).toEqual({ bytesBefore: 10_000, bytesAfter: 7000, removed: 3 });
    expect(await remaining(dir)).toEqual(['dd3.jpg', 'ee4.jpg', 'ff5.jpg', 'gg6.jpg', 'hh7.jpg', 'ii8.jpg', 'jj9.jpg']);
    expect(await bytesIn(dir)).toBe(7000);
  });

  it('goes by last use, not by name or size: a big recent file stays, small old ones go', async () => {
    const dir = await cacheDir();
    await put(dir, 'zz-recent-big.webp', 5000, 1);
    await put(dir, 'aa-old.webp', 1500, 50);
    await put(dir, 'bb-older.webp', 1500, 60);
    await put(dir, 'cc-mid.webp', 1500, 30);
    const result = await pruneCache(dir, 8000, clock); // 9,500 bytes, target 7,200
    expect(result.removed).toBe(2);
    expect(await remaining(dir)).toEqual(['cc-mid.webp', 'zz-recent-big.webp']);
  });

  it('leaves the cache alone while it is under budget, even above the 90 % target', async () => {
    const dir = await cacheDir();
    for (let i = 0; i < 5; i++) await put(dir, `k${i}.jpg`, 1000, i);
    const before = await remaining(dir);
    expect(await pruneCache(dir, 5000, clock)).toEqual({ bytesBefore: 5000, bytesAfter: 5000, removed: 0 });
    expect(await remaining(dir)).toEqual(before);
    // An empty or missing cache folder is simply nothing to do.
    expect(await pruneCache(path.join(dir, 'not-made-yet'), 10, clock)).toEqual({ bytesBefore: 0, bytesAfter: 0, removed: 0 });
  });

  it('never counts nor removes files being written (temp names), but clears temp files a crash left a day ago', async () => {
    const dir = await cacheDir();
    await put(dir, 'aa1.jpg', 1000, 30);
    await put(dir, 'bb2.jpg', 1000, 20);
    // Written just now, big and old-dated alike: a write in progress is never touched.
    await put(dir, 'aa3.jpg.0a1b2c.tmp', 50_000, 1);
    await put(dir, 'aa4.jpg.3d4e5f.tmp', 50_000, 60);
    await put(dir, 'bb5.jpg.6a7b8c.tmp', 100, 2 * 24 * 60); // two days old: left by a crash
    const result = await pruneCache(dir, 2500, clock);
    expect(result).toEqual({ bytesBefore: 2000, bytesAfter: 2000, removed: 0 });
    expect(await remaining(dir)).toEqual(['aa1.jpg', 'aa3.jpg.0a1b2c.tmp', 'aa4.jpg.3d4e5f.tmp', 'bb2.jpg']);

    await pruneCache(dir, 1500, clock); // over budget now: only the real cache file goes
    expect(await remaining(dir)).toEqual(['aa3.jpg.0a1b2c.tmp', 'aa4.jpg.3d4e5f.tmp', 'bb2.jpg']);
  });

  it('survives files and folders vanishing between the scan and the removal, and keeps files used meanwhile', async () => {
    const dir = await cacheDir();
    for (let i = 0; i < 10; i++) await put(dir, `${'abcdefghij'[i].repeat(2)}${i}.jpg`, 1000, 100 - i);
    const scan = await scanCache(dir, clock);
    expect(scan.files).toHaveLength(10);
    // After the scan: the oldest file is deleted by someone else, the second oldest's whole shard
    // folder goes, and the third oldest is served (its mtime touched).
    await fs.rm(path.join(dir, 'aa', 'aa0.jpg'));
    await fs.rm(path.join(dir, 'bb'), { recursive: true });
    await fs.utimes(path.join(dir, 'cc', 'cc2.jpg'), new Date(t0), new Date(t0));

    const result = await trimCache(scan, 8000);
    // The vanished files count as gone; cc2 was used so it stays, and dd3 goes in its place.
    expect(result).toEqual({ bytesBefore: 10_000, bytesAfter: 7000, removed: 3 });
    expect(await remaining(dir)).toEqual(['cc2.jpg', 'ee4.jpg', 'ff5.jpg', 'gg6.jpg', 'hh7.jpg', 'ii8.jpg', 'jj9.jpg']);
  });

  it('does not fail while another process deletes the cache under it', async () => {
    const dir = await cacheDir();
    for (let i = 0; i < 300; i++) await put(dir, `${(i % 40).toString(16).padStart(2, '0')}-${i}.jpg`, 100, i);
    const [result] = await Promise.all([pruneCache(dir, 1000, clock), fs.rm(dir, { recursive: true, force: true })]);
    expect(result.bytesAfter).toBeLessThanOrEqual(result.bytesBefore);
  });
});

describe('createCachePruner', () => {
  it('prunes once shortly after start, then after every N new files, one prune at a time', async () => {
    const dir = await cacheDir();
    for (let i = 0; i < 6; i++) await put(dir, `s${i}.jpg`, 1000, 10 - i);
    const pruner = createCachePruner({ dir, budget: 4000, now: clock, everyWrites: 3, startDelayMs: 0 });
    try {
      await vi.waitFor(() => expect(pruner.runs).toBe(1));
      expect(await remaining(dir)).toEqual(['s3.jpg', 's4.jpg', 's5.jpg']);

      // Two new files: not yet a prune. A third starts one; more writes meanwhile queue one more run
      // after it (never two at once), which sees the files the first scan may have missed.
      await put(dir, 'n0.jpg', 1000, 0);
      await put(dir, 'n1.jpg', 1000, 0);
      pruner.noteWrite();
      pruner.noteWrite();
      await pruner.idle();
      expect(pruner.runs).toBe(1);
      await put(dir, 'n2.jpg', 1000, 0);
      pruner.noteWrite();
      for (let i = 3; i < 6; i++) {
        await put(dir, `n${i}.jpg`, 1000, 0);
        pruner.noteWrite();
      }
      await pruner.idle();
      expect(pruner.runs).toBe(3);
      expect(await bytesIn(dir)).toBeLessThanOrEqual(3600);
    } finally {
      await pruner.close();
    }
  });

  it('reports a failed prune and keeps going; close() cancels the start-up prune', async () => {
    const dir = await cacheDir();
    const file = path.join(dir, 'not-a-folder');
    await fs.writeFile(file, 'x');
    const errors: unknown[] = [];
    const pruner = createCachePruner({ dir: file, budget: 1, everyWrites: 1, startDelayMs: 60_000, onError: (e) => errors.push(e) });
    pruner.noteWrite();
    await pruner.idle();
    expect(errors).toHaveLength(1);
    expect((errors[0] as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    await pruner.close();
    pruner.noteWrite();
    await pruner.idle();
    expect(pruner.runs).toBe(1);
  });
});
