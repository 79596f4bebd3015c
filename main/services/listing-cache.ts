import { isUtf8 } from 'node:buffer';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { FolderInfo } from '../../app/types';
import { buildNameIndex, extendNameIndex } from '../../app/view-filter';
import { makePrivateDir, privateFileMode } from './paths';
import { isInside } from './scan';
import { nextTurn, type Turn } from './next-turn';

// The listing of a scanned folder, kept in the app's data folder (never the image folder) so that
// re-opening a 250,000-image folder shows its entries at once instead of after a full scan. A
// listing stays valid while every folder it came from keeps its modification time: adding,
// removing or renaming a file changes its folder's mtime. A file changed in place does not, so
// the library re-checks sizes and times in the background after serving a cached listing.

// The entries are stored in natural name order (the grid's first order), so a re-opened folder
// reaches the page already sorted and the page skips building the order of 250,000 names.

// The file is binary, so a re-open reads it without parsing 13 MB of JSON (250,000 entries):
//   magic (`magic`, which carries the format's version)
//   u32 LE: length of the header, then the header (UTF-8 JSON: root, recursive, dirs, count, idsBytes)
//   zero padding to a multiple of 8 bytes from the file's start
//   Float64 sizes[count], Float64 mtimes[count] (the platform's byte order: little-endian on every
//     platform Electron runs on)
//   ids: `idsBytes` of UTF-8, joined by '\n' (a name with a newline in it is never cached)
// Anything else (an older JSON listing, a truncated or forged file) is no listing: the folder is
// scanned and the file replaced.

const magic = Buffer.from('Classify Desk listing 3\n', 'latin1');
const extension = '.listing';
/** Listings of earlier versions (JSON), removed when a listing is written in their place. */
const oldExtension = '.json';
/** A folder modified this recently may change again within its file system's mtime resolution
 *  (a second or two on some disks) without its mtime moving: such a listing is not trusted. */
const racyMs = 2_000;
/** Listings kept; the least recently written go first. */
const keptListings = 16;
/** Bounds a forged header cannot get past (an allocation per count, a read per byte). */
const maxEntries = 20_000_000;
const maxFileBytes = 2 ** 31 - 1;

interface Header {
  root: string;
  recursive: boolean;
  /** Real path and mtime of every folder listed; mtime -1 = changed too recently to trust. */
  dirs: Array<[string, number]>;
  count: number;
  idsBytes: number;
}

/** A cached listing as columns, in natural name order. */
export interface CachedListing {
  ids: string[];
  sizes: Float64Array;
  mtimes: Float64Array;
}

/** A complete scan's entries as columns, in any order (`save` sorts them). */
export interface ListingColumns {
  ids: readonly string[];
  sizes: ArrayLike<number>;
  mtimes: ArrayLike<number>;
}

export interface ListingCache {
  /** The cached listing of the folder, or null when there is none, a folder changed since, or
   *  the file is not a listing this version wrote. */
  load(info: FolderInfo): Promise<CachedListing | null>;
  /** Records a complete scan: its folders (real path, mtime read just before listing it, when it
   *  was read) and its entries; `named`, when the caller has it, is the same ids already in natural
   *  name order (then they are not sorted again). */
  save(info: FolderInfo, dirs: Array<[string, number, number]>, entries: ListingColumns, named?: readonly string[]): Promise<void>;
  /** Forgets the folder's listing (a background check found it out of date). */
  forget(info: FolderInfo): Promise<void>;
}

export function createListingCache(opts: { dir: string; turn?: Turn }): ListingCache {
  const turn = opts.turn ?? nextTurn;
  const baseOf = (info: FolderInfo) => path.join(opts.dir, `${info.folderId}-${info.recursive ? 'r' : 'f'}`);

  return {
    async load(info) {
      const listing = await readListing(baseOf(info) + extension, info);
      if (!listing) return null;
      for (const [dir, mtimeMs] of listing.dirs) {
        try {
          if (mtimeMs < 0 || fs.statSync(dir).mtimeMs !== mtimeMs) return null;
        } catch {
          return null;
        }
      }
      return listing.entries;
    },

    async save(info, dirs, entries, named) {
      const { ids, sizes, mtimes } = entries;
      const n = ids.length;
      if (n > maxEntries || sizes.length !== n || mtimes.length !== n) return;
      for (let i = 0; i < n; i++) if (ids[i].includes('\n')) return; // would split into two ids
      const order = (named && rowsOf(ids, named)) ?? (await naturalOrder(ids, turn))!;
      const sortedIds = new Array<string>(n);
      const columns = new Float64Array(2 * n);
      for (let k = 0; k < n; k++) {
        const i = order[k];
        sortedIds[k] = ids[i];
        columns[k] = sizes[i];
        columns[n + k] = mtimes[i];
      }
      const idBytes = Buffer.from(sortedIds.join('\n'), 'utf8');
      const header: Header = {
        root: info.root,
        recursive: info.recursive,
        dirs: dirs.map(([dir, mtimeMs, readAt]) => [dir, readAt - mtimeMs < racyMs ? -1 : mtimeMs]),
        count: n,
        idsBytes: idBytes.length,
      };
      const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
      const dataAt = alignedTo8(magic.length + 4 + headerBytes.length);
      const file = Buffer.alloc(dataAt + columns.byteLength + idBytes.length);
      magic.copy(file, 0);
      file.writeUInt32LE(headerBytes.length, magic.length);
      headerBytes.copy(file, magic.length + 4);
      file.set(new Uint8Array(columns.buffer, columns.byteOffset, columns.byteLength), dataAt);
      idBytes.copy(file, dataAt + columns.byteLength);
      // The names of the user's files: readable by the user alone, and written whole or not at all.
      await makePrivateDir(opts.dir);
      const base = baseOf(info);
      const temp = `${base}${extension}.${process.pid}.tmp`;
      await fsp.writeFile(temp, file, { mode: privateFileMode });
      await fsp.rename(temp, base + extension);
      await fsp.rm(base + oldExtension, { force: true });
      await prune(opts.dir);
    },

    async forget(info) {
      await fsp.rm(baseOf(info) + extension, { force: true });
    },
  };
}

const alignedTo8 = (n: number) => Math.ceil(n / 8) * 8;

/** The listing stored in `file` for `info`, or null for no file, another folder's listing, an
 *  older format, or anything malformed: lengths that disagree, ids that are not plain relative
 *  paths (empty, absolute, `.`/`..` or hidden segments, NUL), numbers that are not finite. Read
 *  and checked in steps with a turn of the event loop between them: at 250,000 images it was one
 *  stretch of 0.18-0.2 s, when main also serves the window's first requests. */
async function readListing(file: string, info: FolderInfo): Promise<{ dirs: Array<[string, number]>; entries: CachedListing } | null> {
  let bytes: Uint8Array;
  try {
    bytes = readWhole(file);
  } catch {
    return null; // none yet, or unreadable: scan
  }
  if (bytes.length < magic.length + 4 || !magic.equals(bytes.subarray(0, magic.length))) return null;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const headerLength = view.readUInt32LE(magic.length);
  const headerAt = magic.length + 4;
  if (headerLength > bytes.length - headerAt) return null;
  let header: unknown;
  try {
    header = JSON.parse(view.toString('utf8', headerAt, headerAt + headerLength));
  } catch {
    return null;
  }
  if (!isHeader(header) || header.root !== info.root || header.recursive !== info.recursive) return null;
  const { count, idsBytes } = header;
  const dataAt = alignedTo8(headerAt + headerLength);
  if (bytes.length !== dataAt + 16 * count + idsBytes) return null;
  if ((count === 0) !== (idsBytes === 0)) return null;
  await nextTurn();
  // Copies: the columns outlive the file's bytes (and `bytes` need not be 8-byte aligned).
  const columns = new Float64Array(2 * count);
  new Uint8Array(columns.buffer).set(bytes.subarray(dataAt, dataAt + 16 * count));
  for (let i = 0; i < 2 * count; i++) {
    const v = columns[i];
    if (!Number.isFinite(v) || (i < count && v < 0)) return null;
  }
  const idBlock = bytes.subarray(dataAt + 16 * count);
  if (!isUtf8(idBlock)) return null;
  await nextTurn();
  const joined = view.toString('utf8', dataAt + 16 * count);
  if (count > 0 && !plainRelativePaths(joined)) return null;
  await nextTurn();
  const ids = count === 0 ? [] : joined.split('\n');
  if (ids.length !== count) return null;
  return {
    dirs: header.dirs,
    entries: { ids, sizes: columns.subarray(0, count), mtimes: columns.subarray(count) },
  };
}

/** The whole file, read in one step (a re-open's first work; no thread-pool round trips while
 *  the page loads), refused past a bound before anything is allocated. Opened without blocking
 *  and read only when it is a regular file: a FIFO or a device in its place must not hang main. */
function readWhole(file: string): Uint8Array {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error('not a file');
    const size = st.size;
    if (size > maxFileBytes) throw new Error('too large for a listing');
    const bytes = new Uint8Array(size);
    for (let at = 0; at < size; ) {
      const read = fs.readSync(fd, bytes, at, size - at, at);
      if (read === 0) throw new Error('truncated while read');
      at += read;
    }
    return bytes;
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether every '\n'-separated id is a relative path of plain segments: no empty segment (so no
 *  leading '/', no empty id), none starting with '.' (hidden, `.`, `..`: the scan lists none), no
 *  NUL; on Windows no backslash and no drive. The gate checks each id again on every read. */
function plainRelativePaths(joined: string): boolean {
  if (/(?:^|[\n/])(?:[./\n]|$)|\0/.test(joined)) return false;
  return process.platform !== 'win32' || !/\\|(?:^|\n)[a-zA-Z]:/.test(joined);
}

function isHeader(value: unknown): value is Header {
  const h = value as Header | null;
  return (
    typeof h === 'object' && h !== null && typeof h.root === 'string' && typeof h.recursive === 'boolean' &&
    Array.isArray(h.dirs) &&
    h.dirs.every((d) => Array.isArray(d) && d.length === 2 && typeof d[0] === 'string' && typeof d[1] === 'number' && isInside(h.root, d[0])) &&
    Number.isSafeInteger(h.count) && h.count >= 0 && h.count <= maxEntries &&
    Number.isSafeInteger(h.idsBytes) && h.idsBytes >= 0 && h.idsBytes <= maxFileBytes
  );
}

/** Indices of `ids` in natural name order, built in steps with event-loop turns between them
 *  (at 250,000 entries the whole sort at once would hold thumbnails and IPC for a second); null
 *  when `wanted` says, between two steps, that the order is no longer wanted. */
export async function naturalOrder(ids: readonly string[], turn: () => Promise<void>, wanted: () => boolean = () => true): Promise<Int32Array | null> {
  const step = 20_000;
  let index = buildNameIndex([]);
  for (let end = 0; end < ids.length; ) {
    end = Math.min(ids.length, end + step);
    index = extendNameIndex(index, ids.slice(0, end));
    await turn();
    if (!wanted()) return null;
  }
  return index.order;
}

/** The rows of `ids` that `named` lists, in its order; null unless it names each of them once. */
function rowsOf(ids: readonly string[], named: readonly string[]): Int32Array | null {
  if (named.length !== ids.length) return null;
  const rowById = new Map<string, number>();
  for (let row = 0; row < ids.length; row++) rowById.set(ids[row], row);
  const order = new Int32Array(named.length);
  for (let k = 0; k < named.length; k++) {
    const row = rowById.get(named[k]);
    if (row === undefined) return null;
    order[k] = row;
    rowById.delete(named[k]);
  }
  return order;
}

/** Keeps the most recently written listings (of this version or an older one). */
async function prune(dir: string): Promise<void> {
  const names = (await fsp.readdir(dir)).filter((n) => n.endsWith(extension) || n.endsWith(oldExtension));
  if (names.length <= keptListings) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await fsp.stat(path.join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => a.t - b.t);
  for (const { n } of dated.slice(0, dated.length - keptListings)) await fsp.rm(path.join(dir, n), { force: true });
}
