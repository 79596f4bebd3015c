import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppFailure } from '../../app/errors';
import type { FolderInfo, ImageEntry } from '../../app/types';
import { comparePaths } from '../../app/view-filter';
import type { JobLibrary } from '../services/inference';
import { folderIdOf, resolveInside } from '../services/library';
import { isWebId } from '../services/results';
import { isImageName, isProblem, scanFolder } from '../services/scan';

// The command line's stand-in for the app's library: the folders, single images and https URLs
// named on the command line, with the same folder ids as the app (sha1 of the real path), so the
// results the CLI journals are the ones the app shows when it opens that folder.

export interface CliFolder {
  info: FolderInfo;
  entries: Map<string, ImageEntry>;
  /** The folder read (the CLI reads it whole before it runs). */
  settled: Promise<unknown>;
  /** Only these ids (single images or URLs named on the command line); all entries when unset. */
  ids?: string[];
  web: boolean;
}

export interface CliLibrary extends JobLibrary {
  folders: CliFolder[];
  /** Problems met while scanning (unreadable files), one line each. */
  warnings: string[];
}

/** The pseudo-folder that holds web images classified from the command line. */
export const webFolderId = createHash('sha1').update('classify-desk:web-images').digest('hex').slice(0, 16);

/** Builds the library from command-line inputs; throws AppFailure('invalid_input') for a bad one. */
export async function buildCliLibrary(inputs: string[], recursive: boolean): Promise<CliLibrary> {
  const byId = new Map<string, CliFolder>();
  const warnings: string[] = [];
  const folderFor = (root: string, web = false): CliFolder => {
    const folderId = web ? webFolderId : folderIdOf(root);
    let folder = byId.get(folderId);
    if (!folder) {
      const info: FolderInfo = { folderId, root, name: web ? 'web images' : path.basename(root) || root, recursive };
      folder = { info, entries: new Map(), settled: Promise.resolve(), ids: [], web };
      byId.set(folderId, folder);
    }
    return folder;
  };

  for (const input of inputs) {
    if (isWebId(input)) {
      folderFor('', true).ids?.push(input);
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
      throw new AppFailure('invalid_input', `"${input}" is not an https URL; Roboflow only fetches https images.`);
    }
    const absolute = path.resolve(input);
    let stat;
    try {
      stat = await fs.stat(absolute);
    } catch {
      throw new AppFailure('invalid_input', `There is no file or folder at "${input}".`);
    }
    if (stat.isDirectory()) {
      const folder = folderFor(await fs.realpath(absolute));
      folder.ids = undefined;
      for await (const item of scanFolder(folder.info.root, { recursive })) {
        if (isProblem(item)) warnings.push(`${item.problem.path}: ${item.problem.message}`);
        else folder.entries.set(item.id, item);
      }
    } else if (stat.isFile()) {
      const name = path.basename(absolute);
      if (!isImageName(name)) throw new AppFailure('invalid_input', `"${input}" is not an image file (jpg, png, webp, bmp, gif, tiff).`);
      const folder = folderFor(await fs.realpath(path.dirname(absolute)));
      folder.entries.set(name, { id: name, name, size: stat.size, mtimeMs: stat.mtimeMs });
      folder.ids?.push(name);
    } else {
      throw new AppFailure('invalid_input', `"${input}" is neither a file nor a folder.`);
    }
  }
  const folders = [...byId.values()];
  return {
    folders,
    warnings,
    get: (folderId) => byId.get(folderId),
    async resolve(folderId, id) {
      const folder = byId.get(folderId);
      if (!folder || folder.web) throw new AppFailure('not_found', `"${id}" is not part of this run.`);
      // The app's gate: no link may lead out of the folder; readers then prove the file with safe-open.
      return resolveInside(folder.info.root, id);
    },
  };
}

/** The ids a run covers in one folder, in order. */
export function folderIds(folder: CliFolder): string[] {
  // A scanned folder in path order (the app's grid and exports), whatever order the disk lists it.
  return folder.ids ? [...new Set(folder.ids)] : [...folder.entries.keys()].sort(comparePaths);
}
