import fs from 'node:fs/promises';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBmpOffThread } from '../../../main/services/bmp-thread';
import { createThumbnails } from '../../../main/services/thumbnails';
import { removeDir, tempDir, writeBmp } from '../../support/service-fixtures';

// BMP decoding leaves main's event loop alone (a worker thread), keeps to a pixel budget, and a
// BMP that cannot be decoded is not decoded again on every request for its thumbnail.

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => removeDir(dir));

/** A 54-byte BMP header claiming `width`×`height` 24-bit pixels, followed by `extra` bytes. */
function craftedBmp(width: number, height: number, extra = 0): Buffer {
  const b = Buffer.alloc(54 + extra);
  b.write('BM', 0, 'ascii');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  return b;
}

describe('BMP decoding off the main thread', () => {
  it('decodes in a worker thread, not on the event loop', async () => {
    const file = await writeBmp(path.join(dir, 'small.bmp'), 12, 8, (x) => ({ r: x * 20, g: 0, b: 0 }));
    const raw = await decodeBmpOffThread(await fs.readFile(file));
    expect([raw.width, raw.height, raw.channels]).toEqual([12, 8, 3]);
    expect(raw.data.length).toBe(12 * 8 * 3);
    expect(raw.threadId).not.toBe(threadId);
  });

  it('refuses a BMP beyond the pixel budget before allocating its pixels', async () => {
    for (const [w, h] of [
      [100_000_000, 1],
      [10_000, 10_000],
    ]) {
      await expect(decodeBmpOffThread(craftedBmp(w, h, 4096)), `${w}x${h}`).rejects.toMatchObject({ code: 'bad_image', message: expect.stringMatching(/too large/) });
    }
  });

  it('remembers a thumbnail failure until the file changes, instead of decoding it on every request', async () => {
    const thumbs = createThumbnails({ cacheDir: path.join(dir, 'cache'), pruneDelayMs: 60_000 });
    const file = path.join(dir, 'huge.bmp');
    await fs.writeFile(file, craftedBmp(100_000_000, 1, 4096));
    const ref = { folderId: '0123456789abcdef', id: 'huge.bmp' };
    await expect(thumbs.thumbnail(file, 64, ref)).rejects.toMatchObject({ code: 'bad_image' });
    const renders = thumbs.renders;
    for (let i = 0; i < 3; i++) await expect(thumbs.thumbnail(file, 64, ref)).rejects.toMatchObject({ code: 'bad_image' });
    expect(thumbs.renders).toBe(renders);
    expect(thumbs.errorFor(ref.folderId, ref.id)).toMatchObject({ code: 'bad_image' });
    // Replaced by a good BMP (another size and time): decoded again, and it works.
    await writeBmp(file, 10, 10, () => ({ r: 0, g: 0, b: 255 }));
    const later = new Date(Date.now() + 5000);
    await fs.utimes(file, later, later);
    expect((await thumbs.thumbnail(file, 64, ref)).bytes.length).toBeGreaterThan(0);
    expect(thumbs.renders).toBe(renders + 1);
    await thumbs.close();
  });
});
