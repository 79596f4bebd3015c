import fs from 'node:fs/promises';
import path from 'node:path';
import { AppFailure } from '../../app/errors';
import { copyChecked } from './safe-open';
import { isImageName, isInside } from './scan';

// Small file helpers for exports: every file appears complete or not at all (temp + rename in
// the target's own folder, so the rename never crosses file systems), and names never clobber.

const tempName = (target: string) =>
  path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`);

/** Where a write at `target` really lands: the real path of its deepest existing folder, plus the
 *  rest. With `followLeaf` the last segment is resolved too (a folder target: files go inside it);
 *  without, it stays as named (a file target: the rename replaces a link, not what it points to). */
export async function landingPath(target: string, followLeaf: boolean): Promise<string> {
  const absolute = path.resolve(target);
  let existing = followLeaf ? absolute : path.dirname(absolute);
  const rest: string[] = followLeaf ? [] : [path.basename(absolute)];
  for (;;) {
    try {
      return path.join(await fs.realpath(existing), ...rest);
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return absolute;
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

const realOr = (dir: string) => fs.realpath(dir).catch(() => path.resolve(dir));

/** Refuses an export folder that is, or lies inside, one of `roots` or the app's data folder
 *  (`dataDir`, given by the caller that owns it), comparing real paths (a link to the image folder
 *  is the image folder), so no original can be overwritten. */
export async function refuseInside(roots: readonly string[], target: string, dataDir?: string): Promise<void> {
  const real = await landingPath(target, true);
  for (const root of roots) {
    if (isInside(await realOr(root), real)) {
      throw new AppFailure('invalid_input', 'Choose an export folder outside the image folder, so no original can be overwritten.');
    }
  }
  if (dataDir && isInside(await realOr(dataDir), real)) throw insideData();
}

const insideData = () =>
  new AppFailure('invalid_input', "Choose a place outside Classify Desk's own data folder: an export there could replace the app's settings or results.");

/** Refuses a file export (JSON, CSV, report) that would replace an image (of an opened folder or
 *  any other) or a file in the app's data folder. */
export async function refuseReplacing(target: string, dataDir?: string): Promise<void> {
  const real = await landingPath(target, false);
  if (isImageName(path.basename(real))) {
    throw new AppFailure('invalid_input', `"${path.basename(real)}" is an image name: an export must not replace an image. Choose a .json or .csv name.`);
  }
  if (dataDir && isInside(await realOr(dataDir), real)) throw insideData();
}

/** Has `write` fill a fresh temp path beside `target`, then renames it into place; on a failure
 *  the temp file is removed and the target left as it was. */
export async function replaceAtomically(target: string, write: (temp: string) => Promise<unknown>): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = tempName(target);
  try {
    await write(temp);
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

/** Writes the file export `target` through a temp file filled by `fill` (synced before the
 *  rename); never over an image or into the app's data folder. */
export async function writeAtomically(target: string, fill: (handle: fs.FileHandle) => Promise<void>, dataDir?: string): Promise<void> {
  await refuseReplacing(target, dataDir);
  return replaceAtomically(target, async (temp) => {
    const handle = await fs.open(temp, 'wx');
    try {
      await fill(handle);
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    await handle.close();
  });
}

/** Copies `source` (a path the library's gate returned) to `target` via a temp file and rename,
 *  reading only through a handle proven to be that file. */
export function copyAtomically(source: string, target: string): Promise<void> {
  return replaceAtomically(target, (temp) => copyChecked(source, temp));
}

/** A folder or file name safe on every OS (no separators, reserved characters or dot names). */
export function safeName(name: string, fallback = '_'): string {
  const cleaned = [...name]
    .map((c) => (c.charCodeAt(0) < 0x20 || '<>:"/\\|?*'.includes(c) ? '_' : c))
    .join('')
    .replace(/[. ]+$/, '')
    .trim();
  if (!cleaned || cleaned === '.' || cleaned === '..') return fallback;
  return /^(con|prn|aux|nul|com\d|lpt\d)$/i.test(cleaned) ? `_${cleaned}` : cleaned.slice(0, 200);
}

/** Hands out target paths that clash neither with each other nor with files already there:
 *  "a.jpg", then "a (2).jpg", "a (3).jpg"... (case-insensitively, for macOS and Windows). */
export function createNamer() {
  const taken = new Set<string>();
  return async (dir: string, fileName: string): Promise<string> => {
    const ext = path.extname(fileName);
    const stem = fileName.slice(0, fileName.length - ext.length);
    for (let n = 1; ; n++) {
      const candidate = path.join(dir, n === 1 ? fileName : `${stem} (${n})${ext}`);
      const key = candidate.toLowerCase();
      if (taken.has(key)) continue;
      const exists = await fs.access(candidate).then(
        () => true,
        () => false,
      );
      if (exists) continue;
      taken.add(key);
      return candidate;
    }
  };
}
