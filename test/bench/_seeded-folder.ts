import { statSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { normaliseLabel, type LabelMapping } from '../../app/ground-truth';
import { apiRef } from '../../app/model-ref';
import { endpointBase, settingsSchema, type Settings } from '../../app/settings';
import { EntryTable } from '../../main/services/entry-table';
import type { JobLibrary } from '../../main/services/inference';
import { folderIdOf } from '../../main/services/library';
import { createResultsStore, type ResultsJournal, type ResultsStore } from '../../main/services/results';
import { bigFolderIds, ensureBigFolder } from '../e2e/fixtures';
import { benchClasses, seedResults, seededSettings } from './_renderer-results';

// Main's side of the renderer benchmark's folder of N images with a stored result each, without
// a page or a scan: for benchmarks of what main computes over stored results (the ground truth,
// the send plan).

export interface SeededFolder {
  root: string;
  folderId: string;
  /** Main's entries as a scan leaves them: ids with the sizes and dates read from the files. */
  entries: EntryTable;
  settings: Settings;
  results: ResultsStore;
  journal: ResultsJournal;
  /** Main's library as the services ask it: this folder, its reading settled, and its files. */
  library: JobLibrary;
  /** Every sub-folder (d000, d001, ...) mapped to a class, as the mapping editor would. */
  labelled: LabelMapping;
}

/** The folder and its seeded journal under `dataDir` (close `results` when done). */
export async function seededFolder(images: number, dataDir: string): Promise<SeededFolder> {
  const folder = await ensureBigFolder(images);
  const ids = bigFolderIds(images);
  await seedResults(dataDir, folder, ids);
  const root = await realpath(folder);
  const sizes = new Float64Array(ids.length);
  const mtimes = new Float64Array(ids.length);
  ids.forEach((id, i) => {
    const st = statSync(path.join(root, id));
    sizes[i] = st.size;
    mtimes[i] = st.mtimeMs;
  });
  const entries = new EntryTable();
  entries.adopt(ids.slice(), sizes, mtimes);
  const settings = settingsSchema.parse(seededSettings);
  const results = createResultsStore({ dataDir, settings: { get: () => settings } });
  const folderId = folderIdOf(root);
  const journal = await results.journal(folderId, apiRef(endpointBase(settings), settings.model));
  const labelled: Record<string, string> = {};
  for (const id of ids) labelled[normaliseLabel(id.split('/').at(-2)!)] ??= benchClasses[Object.keys(labelled).length % benchClasses.length];
  const info = { folderId, root, name: path.basename(root), recursive: true };
  const library: JobLibrary = {
    get: (id) => (id === folderId ? { info, entries, settled: Promise.resolve() } : undefined),
    resolve: async (_folder, id) => path.join(root, id),
  };
  return { root, folderId, entries, settings, results, journal, library, labelled };
}
