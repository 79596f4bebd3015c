import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullUrl, thumbUrl } from '../../../app/media-urls';
import { createForeground } from '../../../main/services/foreground';
import { createLibrary } from '../../../main/services/library';
import { createMediaHandler, type MediaHandler } from '../../../main/services/media';
import { createThumbnails, type Thumbnails } from '../../../main/services/thumbnails';
import { removeDir, tempDir, writeFile, writeImage } from '../../support/service-fixtures';

const origin = 'app://classify-desk/';
let root: string;
let outside: string;
let cache: string;
let folderId: string;
let media: MediaHandler;
let thumbnails: Thumbnails;
const library = createLibrary({ emit: () => undefined });

beforeAll(async () => {
  root = await tempDir();
  outside = await tempDir();
  cache = await tempDir();
  await writeImage(path.join(root, 'sub dir', 'Ünï côde #1?.jpg'), 400, 300);
  await writeImage(path.join(root, 'plain.png'), 80, 60);
  await writeFile(path.join(root, 'fake.jpg'), 'not an image');
  await writeImage(path.join(outside, 'secret.jpg'), 50, 50);
  await fs.symlink(path.join(outside, 'secret.jpg'), path.join(root, 'escape.jpg'));
  await fs.symlink(outside, path.join(root, 'escape-dir'));
  thumbnails = createThumbnails({ cacheDir: cache });
  media = createMediaHandler({ library, thumbnails });
  ({ folderId } = await library.open(root, true));
  await library.get(folderId)!.done;
});

afterAll(async () => {
  await library.close();
  await Promise.all([root, outside, cache].map(removeDir));
});

const get = (rel: string, init?: RequestInit) => media(new Request(new URL(rel, origin), init));

async function errorOf(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  return (await response.json()) as { code: string; message: string };
}

describe('media handler', () => {
  it('serves thumbnails of files with unicode names, spaces and URL characters', async () => {
    const res = await get(thumbUrl(folderId, 'sub dir/Ünï côde #1?.jpg', 128));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('cache-control')).toMatch(/max-age/);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([128, 96]);
  });

  it('clamps the thumbnail size to 32..1024', async () => {
    const small = await get(`media/thumb/${folderId}/sub%20dir/${encodeURIComponent('Ünï côde #1?.jpg')}?s=1`);
    expect((await sharp(Buffer.from(await small.arrayBuffer())).metadata()).width).toBe(32);
    const big = await get(`media/thumb/${folderId}/plain.png?s=99999`);
    expect((await sharp(Buffer.from(await big.arrayBuffer())).metadata()).width).toBe(80);
  });

  it('serves the full image as it is on disk', async () => {
    const res = await get(fullUrl(folderId, 'plain.png'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(await fs.readFile(path.join(root, 'plain.png')))).toBe(true);
  });

  it('answers HEAD for a full image with its length and no body', async () => {
    const res = await get(fullUrl(folderId, 'plain.png'), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String((await fs.stat(path.join(root, 'plain.png'))).size));
    expect(res.body).toBeNull();
  });

  it('refuses paths that leave the folder: .., encoded .., encoded slashes, absolute paths, links out', async () => {
    const attempts = [
      `media/thumb/${folderId}/..%2F..%2F${path.basename(outside)}%2Fsecret.jpg`,
      `media/full/${folderId}/sub%20dir%2F..%2F..%2Fx.jpg`,
      `media/full/${folderId}/%2e%2e%2F%2e%2e%2Fetc%2Fpasswd.jpg`,
      `media/full/${folderId}/${encodeURIComponent(path.join(outside, 'secret.jpg'))}`,
      `media/thumb/${folderId}/escape.jpg`,
      `media/full/${folderId}/escape.jpg`,
      `media/full/${folderId}/escape-dir/secret.jpg`,
      `media/full/${folderId}/plain.png%00.jpg`,
    ];
    for (const rel of attempts) {
      const res = await get(rel);
      expect(res.status, rel).toBe(403);
      expect((await errorOf(res)).code, rel).toBe('invalid_input');
    }
    // Plain dot segments are folded away by the URL parser itself, so they never reach a file.
    for (const rel of [`media/full/${folderId}/../../etc/passwd`, `media/full/${folderId}/%2e%2e/%2e%2e/etc/passwd.jpg`]) {
      const res = await media(new Request(`${origin}${rel}`));
      expect([403, 404], rel).toContain(res.status);
    }
  });

  it('answers 404 for unknown folders and missing files, 405 for other methods', async () => {
    expect((await get(`media/thumb/0123456789abcdef/plain.png`)).status).toBe(404);
    expect((await get(`media/thumb/${folderId}/missing.png`)).status).toBe(404);
    expect((await get(`media/other/${folderId}/plain.png`)).status).toBe(404);
    expect((await get(`media/thumb/${folderId}/plain.png`, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('answers 422 with the reason for a bad image, and remembers it for the error tile', async () => {
    const res = await get(thumbUrl(folderId, 'fake.jpg', 128));
    expect(res.status).toBe(422);
    const error = await errorOf(res);
    expect(error.code).toBe('bad_image');
    expect(thumbnails.errorFor(folderId, 'fake.jpg')).toEqual(error);
  });
});

describe('media and background passes', () => {
  it('holds the library\'s background turns while a thumbnail is being served', async () => {
    const foreground = createForeground({ maxWaitMs: 60_000 });
    let release!: () => void;
    const slow: Pick<Thumbnails, 'thumbnail' | 'full'> = {
      thumbnail: async (file, size, key) => {
        await new Promise<void>((resolve) => (release = resolve));
        return thumbnails.thumbnail(file, size, key);
      },
      full: (file) => thumbnails.full(file),
    };
    const served = createMediaHandler({ library, thumbnails: slow, foreground })(new Request(origin + thumbUrl(folderId, 'plain.png', 64)));
    let turned = false;
    const turn = foreground.turn().then(() => {
      turned = true;
    });
    await expect.poll(() => typeof release).toBe('function');
    expect(turned).toBe(false);
    release();
    expect((await served).status).toBe(200);
    await turn;
    expect(turned).toBe(true);
  });
});

