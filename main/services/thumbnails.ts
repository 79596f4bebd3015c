import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { AppFailure, type AppError } from '../../app/errors';
import type { Ports } from '../ports';
import { looksLikeBmp } from './bmp';
import { decodeBmpOffThread } from './bmp-thread';
import { createCachePruner, tempSuffix } from './cache-pruner';
import { createLimiter } from './limit';
import { privateFileMode } from './paths';
import { openChecked, readChecked } from './safe-open';

type SharpImage = ReturnType<typeof sharp>;

// Thumbnails and browser-decodable full images. sharp decodes in libuv's threads with
// shrink-on-load, so main's event loop only waits on promises; a bounded queue keeps the number
// of decodes in flight at the machine's size, so IPC stays responsive while thousands are made.
// Results are cached on disk under a key that changes when the file changes (path, mtime, size).
// The cache keeps to a byte budget: serving a cached file touches its mtime (its "last used"
// time, see cache-pruner.ts) and a pruner removes the least recently used, off the request path.

export interface ImageBytes {
  bytes: Buffer;
  contentType: string;
}

/** A full image the caller streams from its proven handle (and closes), or bytes converted for the browser. */
export type FullImage = ImageBytes | { handle: fs.FileHandle; size: number; contentType: string };

export interface ImageRef {
  folderId: string;
  id: string;
}

export interface Thumbnails {
  thumbnail(absPath: string, size: number, ref?: ImageRef): Promise<ImageBytes>;
  full(absPath: string): Promise<FullImage>;
  errorFor: Ports['thumbnails']['errorFor'];
  /** Decodes running now, and decodes done so far (for tests and benchmarks). */
  readonly active: number;
  readonly renders: number;
  /** Resolves when no cache prune is running (for tests). */
  cacheIdle(): Promise<void>;
  /** Stops the cache pruner (waits for a running prune); thumbnails still serve. */
  close(): Promise<void>;
}

export interface ThumbnailsOptions {
  cacheDir: string;
  concurrency?: number;
  /** Bytes the disk cache may hold before its least recently used files go (default 1 GiB). */
  cacheBudget?: number;
  /** New cache files between two prunes (default 500). */
  pruneEvery?: number;
  /** The first prune, after start (default 10 s). */
  pruneDelayMs?: number;
  now?: () => number;
}

/** Formats a browser shows as they are. */
const passThrough: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
};
const fullCap = 4096;
const keptErrors = 10_000;
const cacheVersion = 'v1';

export function createThumbnails(opts: ThumbnailsOptions): Thumbnails {
  const limit = createLimiter(opts.concurrency ?? Math.max(2, os.availableParallelism()));
  const now = opts.now ?? Date.now;
  const pruner = createCachePruner({
    dir: opts.cacheDir,
    budget: opts.cacheBudget,
    everyWrites: opts.pruneEvery,
    startDelayMs: opts.pruneDelayMs,
    now,
  });
  const inFlight = new Map<string, Promise<ImageBytes>>();
  const errors = new Map<string, AppError>();
  const failures = new Map<string, AppFailure>();
  let renders = 0;
  let closed = false;

  const remember = (ref: ImageRef | undefined, error: AppError | null) => {
    if (!ref) return;
    const key = `${ref.folderId}\0${ref.id}`;
    errors.delete(key);
    if (!error) return;
    errors.set(key, error);
    if (errors.size > keptErrors) errors.delete(errors.keys().next().value as string);
  };

  /** Cached render of `absPath` at `size` (0 = full size, capped); renders at most once at a time. */
  async function cached(absPath: string, size: number, contentType: string, make: () => Promise<ImageBytes>): Promise<ImageBytes> {
    const st = await statImage(absPath);
    const key = createHash('sha1').update(`${cacheVersion}\0${absPath}\0${size}\0${st.mtimeMs}\0${st.size}`).digest('hex');
    // A file that failed to decode fails the same way until it changes (the key follows mtime and
    // size): answer from memory instead of decoding it again on every request.
    const failed = failures.get(key);
    if (failed) throw failed;
    const running = inFlight.get(key);
    if (running) return running;
    const task = (async () => {
      const hit = await readCache(opts.cacheDir, key, contentType, now);
      if (hit) return hit;
      const made = await limit(() => {
        // Closing: what waits in the queue is not rendered (close waits for what runs).
        if (closed) throw new Error('The thumbnail service is closed.');
        renders++;
        return make();
      });
      if (!closed && (await writeCache(opts.cacheDir, key, made))) pruner.noteWrite();
      return made;
    })();
    inFlight.set(key, task);
    try {
      return await task;
    } catch (error) {
      const failure = asImageFailure(error);
      if (failure.code === 'bad_image') {
        failures.set(key, failure);
        if (failures.size > keptErrors) failures.delete(failures.keys().next().value as string);
      }
      throw failure;
    } finally {
      inFlight.delete(key);
    }
  }

  return {
    async thumbnail(absPath, size, ref) {
      try {
        const type = thumbType(absPath);
        const made = await cached(absPath, size, type, () => render(absPath, size, type));
        remember(ref, null);
        return made;
      } catch (error) {
        const failure = asImageFailure(error);
        remember(ref, failure.toJSON());
        throw failure;
      }
    },
    async full(absPath) {
      try {
        const type = passThrough[extensionOf(absPath)];
        if (type) {
          const { handle, stat } = await openChecked(absPath);
          if (stat.size === 0) {
            await handle.close();
            throw emptyFile();
          }
          return { handle, size: stat.size, contentType: type };
        }
        return await cached(absPath, 0, 'image/jpeg', () => render(absPath, fullCap, 'image/jpeg'));
      } catch (error) {
        throw asImageFailure(error);
      }
    },
    errorFor(folderId, id) {
      return errors.get(`${folderId}\0${id}`) ?? null;
    },
    get active() {
      return limit.active;
    },
    get renders() {
      return renders;
    },
    cacheIdle: () => pruner.idle(),
    async close() {
      // Nothing may write into the cache folder once close has answered (it may be removed next).
      closed = true;
      await Promise.allSettled(inFlight.values());
      await pruner.close();
    },
  };
}

function extensionOf(file: string): string {
  return path.extname(file).slice(1).toLowerCase();
}

async function statImage(absPath: string) {
  let st;
  try {
    st = await fs.stat(absPath);
  } catch (error) {
    throw fileFailure(error);
  }
  if (!st.isFile()) throw new AppFailure('unreadable_file', 'This is not a regular file, so it cannot be shown.');
  if (st.size === 0) throw emptyFile();
  return st;
}

const emptyFile = () => new AppFailure('bad_image', 'The file is empty (0 bytes). Copy it again from its source.');

/** JPEG for photos (fastest to make and to show); WebP keeps transparency for other formats. */
function thumbType(absPath: string): string {
  const ext = extensionOf(absPath);
  return ext === 'jpg' || ext === 'jpeg' ? 'image/jpeg' : 'image/webp';
}

/** One decode: EXIF-oriented, shrunk on load, encoded for the browser. sharp gets the bytes read
 *  through a proven handle, never the path (which could be swapped for a link meanwhile). */
async function render(absPath: string, size: number, contentType: string): Promise<ImageBytes> {
  const { bytes } = await readChecked(absPath);
  if (bytes.length === 0) throw emptyFile();
  const fromBmp = extensionOf(absPath) === 'bmp';
  const input = fromBmp ? await bmpInput(bytes) : sharp(bytes, { failOn: 'error' });
  try {
    return await encode(input, size, contentType);
  } catch (error) {
    // A BMP under another name: libvips does not know the format, our decoder may.
    if (!fromBmp && /unsupported image format/i.test(String(error)) && looksLikeBmp(bytes)) {
      return encode(await bmpInput(bytes), size, contentType);
    }
    throw error;
  }
}

async function encode(input: SharpImage, size: number, contentType: string): Promise<ImageBytes> {
  const pipeline = input.rotate().resize(size, size, { fit: 'inside', withoutEnlargement: true });
  const encoded =
    contentType === 'image/jpeg'
      ? pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: 80 })
      : pipeline.webp({ quality: 80, effort: 2 });
  return { bytes: await encoded.toBuffer(), contentType };
}

async function bmpInput(bytes: Buffer): Promise<SharpImage> {
  const raw = await decodeBmpOffThread(bytes);
  return sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
}

function fileFailure(error: unknown): AppFailure {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return new AppFailure('unreadable_file', 'The file is gone: it was moved or deleted. Rescan the folder.');
  if (code === 'EACCES' || code === 'EPERM') return new AppFailure('unreadable_file', 'Permission denied: check that you may read this file.');
  return new AppFailure('unreadable_file', `The file could not be read (${code ?? 'unknown error'}).`);
}

/** Turns whatever sharp or the file system threw into a plain, actionable AppFailure. */
function asImageFailure(error: unknown): AppFailure {
  if (error instanceof AppFailure) return error;
  if ((error as NodeJS.ErrnoException | null)?.code) return fileFailure(error);
  const message = error instanceof Error ? error.message : String(error);
  if (/unsupported image format|not a known file format|bad seek|source is not|unable to find/i.test(message)) {
    return new AppFailure('bad_image', 'This file is not an image the app can read, although its name says so (it may be another kind of file renamed).');
  }
  if (/premature end|truncated|unexpected end|end of (file|stream|data)|out of data|corrupt|damaged|invalid|bad huffman|not enough|read error/i.test(message)) {
    return new AppFailure('bad_image', 'The image is damaged or cut short (truncated). Copy it again from its source.');
  }
  if (/pixel limit/i.test(message)) return new AppFailure('bad_image', 'The image is too large to show.');
  return new AppFailure('bad_image', `The image could not be decoded: ${message.split('\n')[0].slice(0, 200)}`);
}

const cacheExt = (contentType: string) => (contentType === 'image/jpeg' ? 'jpg' : 'webp');

async function readCache(cacheDir: string, key: string, contentType: string, now: () => number): Promise<ImageBytes | null> {
  const file = cacheFile(cacheDir, key, cacheExt(contentType));
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch {
    return null; // not cached yet (or unreadable: render again)
  }
  // Marks it used, for the pruner; a miss here (pruned meanwhile) costs nothing.
  const used = new Date(now());
  await fs.utimes(file, used, used).catch(() => undefined);
  return { bytes, contentType };
}

function cacheFile(cacheDir: string, key: string, ext: string): string {
  return path.join(cacheDir, key.slice(0, 2), `${key}.${ext}`);
}

/** Temp file + rename: a reader never sees half a thumbnail. A failed write only costs a re-render. */
async function writeCache(cacheDir: string, key: string, made: ImageBytes): Promise<boolean> {
  const target = cacheFile(cacheDir, key, cacheExt(made.contentType));
  const temp = `${target}.${randomBytes(6).toString('hex')}${tempSuffix}`;
  try {
    // Thumbnails show the user's pictures: the cache is theirs alone, like the rest of the data folder.
    await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    await fs.writeFile(temp, made.bytes, { mode: privateFileMode });
    await fs.rename(temp, target);
    return true;
  } catch {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    return false;
  }
}
