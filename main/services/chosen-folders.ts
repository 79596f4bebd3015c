import path from 'node:path';
import { stat } from 'node:fs/promises';

// The folders the person chose: main opens only these. The page can be compromised (Electron's
// model), and an open folder lets the media route serve every image inside it, so a path the page
// merely names is not enough. Chosen means: main's folder dialog, a drop on the window (its path
// comes from the preload, not the page), the command line or a second instance, and folders opened
// before (recent folders, the last session's folder), which were chosen one of these ways.

export interface ChosenFolders {
  /** Records a folder the person chose this session. */
  choose(folder: string): void;
  isChosen(folder: string): boolean;
}

export function createChosenFolders(opts: { known: () => ReadonlyArray<string | null | undefined> }): ChosenFolders {
  const chosen = new Set<string>();
  return {
    choose(folder) {
      chosen.add(path.resolve(folder));
    },
    isChosen(folder) {
      const wanted = path.resolve(folder);
      return chosen.has(wanted) || opts.known().some((known) => !!known && path.resolve(known) === wanted);
    },
  };
}

/**
 * What a drop on the window chooses: the preload reads the dropped item's path (webUtils, never the
 * page) and main records it here, a folder as a chosen folder, a file as a chosen file (a labels
 * CSV). Answers the path, or '' when it is neither (or the preload had none).
 */
export function createDropChoice(opts: { folders: ChosenFolders; files: { rememberChosenFile(file: string): void } }) {
  return async (dropped: unknown): Promise<string> => {
    if (typeof dropped !== 'string' || dropped === '' || dropped.length > 4096 || !path.isAbsolute(dropped)) return '';
    try {
      const info = await stat(dropped);
      if (info.isDirectory()) opts.folders.choose(dropped);
      else if (info.isFile()) opts.files.rememberChosenFile(dropped);
      else return '';
      return dropped;
    } catch {
      return '';
    }
  };
}
