import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { AppFailure } from '../../../app/errors';
import { createThumbnails } from '../../../main/services/thumbnails';
import { removeDir, tempDir, writeBmp, writeFile, writeImage, type Rgb } from '../../support/service-fixtures';

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map(removeDir));
  dirs = [];
});

async function setup() {
  const root = await tempDir();
  const cache = await tempDir('classify-desk-cache-');
  dirs.push(root, cache);
  return { root, cache, thumbs: createThumbnails({ cacheDir: cache, concurrency: 2 }) };
}

async function cacheFiles(cache: string): Promise<string[]> {
  const found = await fs.readdir(cache, { recursive: true, withFileTypes: true });
  return found.filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name)).sort();
}

async function pixelAt(bytes: Buffer, x: number, y: number): Promise<Rgb> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const o = (y * info.width + x) * info.channels;
  return { r: data[o], g: data[o + 1], b: data[o + 2] };
}

const red = { r: 220, g: 20, b: 20 };
const blue = { r: 20, g: 20, b: 220 };
const near = (a: Rgb, b: Rgb) => Math.abs(a.r - b.r) < 40 && Math.abs(a.g - b.g) < 40 && Math.abs(a.b - b.b) < 40;

describe('thumbnails', () => {
  it('fits the image inside the requested size, never enlarging, as JPEG for photos and WebP otherwise', async () => {
    const { root, thumbs } = await setup();
    const big = await thumbs.thumbnail(await writeImage(path.join(root, 'big.jpg'), 640, 480), 256);
    expect(big.contentType).toBe('image/jpeg');
    expect(await sharp(big.bytes).metadata()).toMatchObject({ format: 'jpeg', width: 256, height: 192 });
    const small = await thumbs.thumbnail(await writeImage(path.join(root, 'small.png'), 64, 48), 256);
    expect(small.contentType).toBe('image/webp');
    expect(await sharp(small.bytes).metadata()).toMatchObject({ format: 'webp', width: 64, height: 48 });
    const gif = await thumbs.thumbnail(await writeImage(path.join(root, 'anim.gif'), 300, 100), 150);
    expect(await sharp(gif.bytes).metadata()).toMatchObject({ width: 150, height: 50 });
    const tif = await thumbs.thumbnail(await writeImage(path.join(root, 'scan.TIFF'), 100, 300), 60);
    expect(await sharp(tif.bytes).metadata()).toMatchObject({ width: 20, height: 60 });
  });

  it('honours EXIF orientation 6 (rotated 90°): width and height swap', async () => {
    const { root, thumbs } = await setup();
    const file = await writeImage(path.join(root, 'phone.jpg'), 200, 100, red, 6);
    expect(await sharp(file).metadata()).toMatchObject({ width: 200, height: 100, orientation: 6 });
    const thumb = await thumbs.thumbnail(file, 128);
    expect(await sharp(thumb.bytes).metadata()).toMatchObject({ width: 64, height: 128 });
  });

  it('serves the second request from the disk cache without decoding again', async () => {
    const { root, cache, thumbs } = await setup();
    const file = await writeImage(path.join(root, 'a.jpg'), 400, 300);
    const first = await thumbs.thumbnail(file, 200);
    const files = await cacheFiles(cache);
    expect(files).toHaveLength(1);
    const before = await fs.stat(files[0]);
    expect(thumbs.renders).toBe(1);

    const longAgo = new Date(Date.UTC(2020, 0, 1));
    await fs.utimes(files[0], longAgo, longAgo);
    const second = await thumbs.thumbnail(file, 200);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(thumbs.renders).toBe(1);
    expect(await cacheFiles(cache)).toEqual(files);
    // Served as it is (the same file, not written again), and marked used for the cache pruner.
    const after = await fs.stat(files[0]);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBeGreaterThan(longAgo.getTime());

    // Another size is another entry; identical requests in flight share one decode.
    const [x, y] = await Promise.all([thumbs.thumbnail(file, 100), thumbs.thumbnail(file, 100)]);
    expect(x.bytes.equals(y.bytes)).toBe(true);
    expect(thumbs.renders).toBe(2);
    expect(await cacheFiles(cache)).toHaveLength(2);
    // A new instance (a restart) finds the cache too.
    const again = createThumbnails({ cacheDir: cache });
    expect((await again.thumbnail(file, 200)).bytes.equals(first.bytes)).toBe(true);
    expect(again.renders).toBe(0);
  });

  it('keeps the disk cache within a small budget while thumbnails still serve', async () => {
    const root = await tempDir();
    const cache = await tempDir('classify-desk-cache-');
    dirs.push(root, cache);
    const budget = 1500;
    const pruneEvery = 4;
    const thumbs = createThumbnails({ cacheDir: cache, concurrency: 2, cacheBudget: budget, pruneEvery, pruneDelayMs: 60_000 });
    const cacheBytes = async () => (await Promise.all((await cacheFiles(cache)).map((f) => fs.stat(f)))).reduce((sum, st) => sum + st.size, 0);
    try {
      const files: string[] = [];
      for (let i = 0; i < 24; i++) files.push(await writeImage(path.join(root, `p${i}.jpg`), 200, 150, { r: i * 10, g: 255 - i * 10, b: 90 }));
      let written = 0;
      let biggest = 0;
      for (const file of files) {
        const thumb = await thumbs.thumbnail(file, 128);
        written += thumb.bytes.length;
        biggest = Math.max(biggest, thumb.bytes.length);
      }
      await thumbs.cacheIdle();
      expect(written).toBeGreaterThan(3 * budget); // without pruning the cache would hold all of it
      // Bounded: the budget, plus at most the files written since the last prune began.
      expect(await cacheBytes()).toBeLessThanOrEqual(budget + (pruneEvery - 1) * biggest);
      expect((await cacheFiles(cache)).length).toBeLessThan(files.length);

      // Every image still serves, newest first: the kept ones from the cache, the pruned ones made again.
      for (const file of [...files].reverse()) {
        expect(await sharp((await thumbs.thumbnail(file, 128)).bytes).metadata(), file).toMatchObject({ width: 128, height: 96 });
      }
      expect(thumbs.renders).toBeGreaterThan(files.length);
      expect(thumbs.renders).toBeLessThan(2 * files.length);
      await thumbs.cacheIdle();
      expect(await cacheBytes()).toBeLessThanOrEqual(budget + (pruneEvery - 1) * biggest);
    } finally {
      await thumbs.close();
    }
  });

  it('closes without rendering what waits, and writes nothing into the cache once closed', async () => {
    const { root, cache, thumbs } = await setup();
    const files = await Promise.all(Array.from({ length: 8 }, (_, i) => writeImage(path.join(root, `p${i}.jpg`), 800, 600)));
    // Concurrency 2: two render, six wait in the queue when close is asked.
    const asked = files.map((file) => thumbs.thumbnail(file, 256).then(() => 'made', () => 'refused'));
    await new Promise((r) => setTimeout(r, 0));
    await thumbs.close();
    const written = await cacheFiles(cache);
    const outcomes = await Promise.all(asked);
    expect(thumbs.renders).toBeLessThanOrEqual(2);
    expect(outcomes.filter((o) => o === 'refused').length).toBeGreaterThanOrEqual(6);
    await new Promise((r) => setTimeout(r, 100));
    expect(await cacheFiles(cache)).toEqual(written);
  });

  it('renders again when the file changes (mtime), not from the stale cache', async () => {
    const { root, cache, thumbs } = await setup();
    const file = await writeImage(path.join(root, 'a.png'), 100, 100, red);
    const first = await thumbs.thumbnail(file, 64);
    expect(near(await pixelAt(first.bytes, 5, 5), red)).toBe(true);
    await writeImage(file, 100, 100, blue);
    const later = new Date(Date.now() + 5000);
    await fs.utimes(file, later, later);
    const second = await thumbs.thumbnail(file, 64);
    expect(thumbs.renders).toBe(2);
    expect(near(await pixelAt(second.bytes, 5, 5), blue)).toBe(true);
    expect(await cacheFiles(cache)).toHaveLength(2);
  });

  it('turns empty, fake, truncated, corrupt and missing files into clear errors and remembers them per image', async () => {
    const { root, cache, thumbs } = await setup();
    const good = await fs.readFile(await writeImage(path.join(root, 'good.jpg'), 300, 200));
    const cases: Array<[string, Buffer | string, string, RegExp]> = [
      ['empty.jpg', Buffer.alloc(0), 'bad_image', /empty/],
      ['fake.png', 'just some text, not a picture\n', 'bad_image', /not an image/],
      ['truncated.jpg', good.subarray(0, Math.floor(good.length / 2)), 'bad_image', /truncated|damaged/],
      ['corrupt.jpg', Buffer.concat([good.subarray(0, 20), Buffer.alloc(2000, 0x5a)]), 'bad_image', /./],
    ];
    for (const [name, bytes, code, message] of cases) {
      const file = await writeFile(path.join(root, name), bytes);
      const error = await thumbs.thumbnail(file, 128, { folderId: '0123456789abcdef', id: name }).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(AppFailure);
      expect((error as AppFailure).code, name).toBe(code);
      expect((error as AppFailure).message, name).toMatch(message);
      expect(thumbs.errorFor('0123456789abcdef', name), name).toEqual({ code, message: (error as AppFailure).message });
    }
    await expect(thumbs.thumbnail(path.join(root, 'missing.jpg'), 128)).rejects.toMatchObject({ code: 'unreadable_file' });
    expect(await cacheFiles(cache)).toEqual([]);
    expect(thumbs.errorFor('0123456789abcdef', 'good.jpg')).toBeNull();

    // Once the file is fixed, its error is forgotten.
    await writeImage(path.join(root, 'fake.png'), 50, 50);
    const later = new Date(Date.now() + 5000);
    await fs.utimes(path.join(root, 'fake.png'), later, later);
    await thumbs.thumbnail(path.join(root, 'fake.png'), 128, { folderId: '0123456789abcdef', id: 'fake.png' });
    expect(thumbs.errorFor('0123456789abcdef', 'fake.png')).toBeNull();
  });

  it('reads BMP files (24/32-bit, 8-bit paletted, bottom-up and top-down) with the right way up', async () => {
    const { root, thumbs } = await setup();
    const topRedBottomBlue = (_x: number, y: number) => (y < 20 ? red : blue);
    const variants = [
      { bits: 24 as const, topDown: false },
      { bits: 24 as const, topDown: true },
      { bits: 32 as const, topDown: false },
      { bits: 8 as const, topDown: false },
      { bits: 8 as const, topDown: true },
    ];
    for (const v of variants) {
      const file = await writeBmp(path.join(root, `b${v.bits}${v.topDown ? 't' : 'b'}.bmp`), 30, 40, topRedBottomBlue, v);
      const thumb = await thumbs.thumbnail(file, 20);
      expect(await sharp(thumb.bytes).metadata(), file).toMatchObject({ width: 15, height: 20 });
      expect(near(await pixelAt(thumb.bytes, 7, 1), red), `${file} top`).toBe(true);
      expect(near(await pixelAt(thumb.bytes, 7, 18), blue), `${file} bottom`).toBe(true);
    }
    const full = await thumbs.full(path.join(root, 'b24b.bmp'));
    expect('bytes' in full && full.contentType).toBe('image/jpeg');
    const rle = await writeBmp(path.join(root, 'rle.bmp'), 8, 8, () => red, { bits: 8, compression: 1 });
    await expect(thumbs.thumbnail(rle, 64)).rejects.toMatchObject({ code: 'bad_image', message: expect.stringMatching(/compressed/) });
    const bytes = await fs.readFile(path.join(root, 'b24b.bmp'));
    const cut = await writeFile(path.join(root, 'cut.bmp'), bytes.subarray(0, 300));
    await expect(thumbs.thumbnail(cut, 64)).rejects.toMatchObject({ code: 'bad_image', message: expect.stringMatching(/truncated/) });
  });

  it('serves browser formats as they are and converts TIFF for the browser', async () => {
    const { root, thumbs } = await setup();
    const jpg = await writeImage(path.join(root, 'a.jpeg'), 50, 50);
    const passed = await thumbs.full(jpg);
    if ('bytes' in passed) throw new Error('a JPEG is served as it is');
    expect({ size: passed.size, contentType: passed.contentType }).toEqual({ size: (await fs.stat(jpg)).size, contentType: 'image/jpeg' });
    // The caller streams from the handle full() opened, never from the path again.
    expect((await passed.handle.readFile()).equals(await fs.readFile(jpg))).toBe(true);
    await passed.handle.close();
    const tif = await thumbs.full(await writeImage(path.join(root, 'b.tif'), 5000, 100));
    expect('bytes' in tif && (await sharp(tif.bytes).metadata())).toMatchObject({ format: 'jpeg', width: 4096 });
    await expect(thumbs.full(await writeFile(path.join(root, 'empty.png'), ''))).rejects.toMatchObject({ code: 'bad_image' });
  });
});
