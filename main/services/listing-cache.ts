import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { FolderInfo, ImageEntry } from '../../app/types';
import { buildNameIndex, extendNameIndex } from '../../app/view-filter';
import { makePrivateDir, privateFileMode } from './paths';

// The listing of a scanned folder, kept in the app's data folder (never the image folder) so that
// re-opening a 250,000-image folder shows its entries at once instead of after a full scan. A
// listing stays valid while every folder it came from keeps its modification time: adding,
// removing or renaming a file changes its folder's mtime. A file changed in place does not, so
// the library re-checks sizes and times in the background after serving a cached listing.

// The entries are stored in natural name order (the grid's first order), so a re-opened folder
// reaches the page already sorted and the page skips building the order of 250,000 names.

const version = 2;
/** A folder modified this recently may change again within its file system's mtime resolution
 *  (a second or two on some disks) without its mtime moving: such a listing is not trusted. */
const racyMs = 2_000;
/** Listings kept; the least recently written go first. */
const keptListings = 16;

interface Stored {
  v: number;
  root: string;
  recursive: boolean;
  /** Real path and mtime of every folder listed; mtime -1 = changed too recently to trust. */
  dirs: Array<[string, number]>;
  /** In natural name order (app/view-filter's name index). */
  ids: string[];
  sizes: number[];
  mtimes: number[];
}

/** A cached listing as columns, in natural name order. */
export interface CachedListing {
  ids: string[];
  sizes: number[];
  mtimes: number[];
}

export interface ListingCache {
  /** The cached listing of the folder, or null when there is none or a folder changed since. */
  load(info: FolderInfo): Promise<CachedListing | null>;
  /** Records a complete scan: its folders (real path, mtime read just before listing it, when it
   *  was read) and its entries. */
  save(info: FolderInfo, dirs: Array<[string, number, number]>, entries: Iterable<ImageEntry>): Promise<void>;
  /** Forgets the folder's listing (a background check found it out of date). */
  forget(info: FolderInfo): Promise<void>;
}

export function createListingCache(opts: { dir: string }): ListingCache {
  const fileOf = (info: FolderInfo) => path.join(opts.dir, `${info.folderId}-${info.recursive ? 'r' : 'f'}.json`);

  return {
    async load(info) {
      let stored: unknown;
      try {
        stored = JSON.parse(await fsp.readFile(fileOf(info), 'utf8'));
      } catch {
        return null; // none yet, or unreadable: scan
      }
      if (!isStored(stored) || stored.root !== info.root || stored.recursive !== info.recursive) return null;
      for (const [dir, mtimeMs] of stored.dirs) {
        try {
          if (mtimeMs < 0 || fs.statSync(dir).mtimeMs !== mtimeMs) return null;
        } catch {
          return null;
        }
      }
      return { ids: stored.ids, sizes: stored.sizes, mtimes: stored.mtimes };
    },

    async save(info, dirs, entries) {
      const stored: Stored = {
        v: version,
        root: info.root,
        recursive: info.recursive,
        dirs: dirs.map(([dir, mtimeMs, readAt]) => [dir, readAt - mtimeMs < racyMs ? -1 : mtimeMs]),
        ids: [],
        sizes: [],
        mtimes: [],
      };
      const list = [...entries];
      for (const p of await naturalOrder(list)) {
        const e = list[p];
        stored.ids.push(e.id);
        stored.sizes.push(e.size);
        stored.mtimes.push(e.mtimeMs);
      }
      // The names of the user's files: readable by the user alone, and written whole or not at all.
      await makePrivateDir(opts.dir);
      const file = fileOf(info);
      const temp = `${file}.${process.pid}.tmp`;
      await fsp.writeFile(temp, JSON.stringify(stored), { mode: privateFileMode });
      await fsp.rename(temp, file);
      await prune(opts.dir);
    },

    async forget(info) {
      await fsp.rm(fileOf(info), { force: true });
    },
  };
}

/** Indices of `entries` in natural name order, built in steps with event-loop turns between them
 *  (at 250,000 entries the whole sort at once would hold thumbnails and IPC for a second). */
async function naturalOrder(entries: readonly ImageEntry[]): Promise<Int32Array> {
  const step = 20_000;
  let index = buildNameIndex([]);
  for (let end = 0; end < entries.length; ) {
    end = Math.min(entries.length, end + step);
    index = extendNameIndex(index, entries.slice(0, end));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return index.order;
}

function isStored(value: unknown): value is Stored {
  const s = value as Stored | null;
  return (
    typeof s === 'object' && s !== null && s.v === version && typeof s.root === 'string' && typeof s.recursive === 'boolean' &&
    Array.isArray(s.dirs) && s.dirs.every((d) => Array.isArray(d) && typeof d[0] === 'string' && typeof d[1] === 'number') &&
    Array.isArray(s.ids) && Array.isArray(s.sizes) && Array.isArray(s.mtimes) &&
    s.ids.length === s.sizes.length && s.ids.length === s.mtimes.length &&
    s.ids.every((id) => typeof id === 'string' && id !== '') &&
    s.sizes.every((n) => typeof n === 'number') && s.mtimes.every((n) => typeof n === 'number')
  );
}

async function prune(dir: string): Promise<void> {
  const names = (await fsp.readdir(dir)).filter((n) => n.endsWith('.json'));
  if (names.length <= keptListings) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await fsp.stat(path.join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => a.t - b.t);
  for (const { n } of dated.slice(0, dated.length - keptListings)) await fsp.rm(path.join(dir, n), { force: true });
}
