import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evaluationExportKinds, evaluationExports, exportFormatIds, exportFormats, type ExportTarget } from '../../../app/export-formats';
import type { ExportDone, ResultRecord } from '../../../app/types';
import { apiRef } from '../../../app/model-ref';
import { folderIdOf } from '../../../main/services/library';
import { createResultsStore } from '../../../main/services/results';
import { colours, solidJpeg } from '../../peer/images';
import { startApp, type App } from '../../support/app-harness';
import { removeDir, tempDir } from '../../support/service-fixtures';

// Every entry of the export tables (app/export-formats.ts) is written by its own writer, through
// the channel the window uses: main asks its dialog for the table's target (a file or a folder),
// suggests a name with the table's extension, and the export lands there with every image in it.
// A format added to the table without a writer fails to compile; one whose writer writes the
// wrong kind of target fails here.

const endpoint = 'http://127.0.0.1:9';
const model = 'pets/2';
let tmp: string;
let folder: string;
let app: App | null = null;
const asked: Array<{ target: ExportTarget; name: string }> = [];

const done = (scores: Array<[string, number]>) => ({
  time: 0.01,
  image: { width: 8, height: 8 },
  predictions: scores.map(([c, confidence]) => ({ class: c, confidence })),
  top: scores[0][0],
  confidence: scores[0][1],
});

beforeEach(async () => {
  tmp = await tempDir('cd-export-formats-');
  folder = path.join(tmp, 'photos');
  const dataDir = path.join(tmp, 'data');
  const images: Record<string, Array<[string, number]>> = { 'cat/a.jpg': [['cat', 0.9], ['dog', 0.1]], 'dog/b.jpg': [['dog', 0.8], ['cat', 0.2]] };
  const store = createResultsStore({ dataDir });
  await fs.mkdir(folder, { recursive: true });
  const journal = await store.journal(folderIdOf(await fs.realpath(folder)), apiRef(endpoint, model));
  for (const [rel, scores] of Object.entries(images)) {
    const file = path.join(folder, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, await solidJpeg(8, 8, colours.red));
    const stat = await fs.stat(file);
    const record: ResultRecord = { id: rel, size: stat.size, mtimeMs: stat.mtimeMs, status: 'done', response: done(scores), startedAt: '2025-01-01T00:00:00Z', finishedAt: '2025-01-01T00:00:01Z' };
    await journal.append(record);
  }
  await store.close();
  asked.length = 0;
  const out = path.join(tmp, 'out');
  app = await startApp({
    dataDir,
    dialogs: {
      pickFolder: async () => null,
      pickFile: async () => null,
      pickExportPath: async (target, name) => {
        asked.push({ target, name });
        return path.join(out, name);
      },
    },
  });
  app.services.ports.settings.update({ endpointKind: 'self-hosted', endpointUrl: endpoint, model });
  app.services.ports.folders.choose(folder);
});

afterEach(async () => {
  await app?.close();
  app = null;
  await removeDir(tmp);
});

/** Files under `dir`, relative, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

/** What the export wrote matches its table entry: the dialog kind, the name's extension, a file or a folder. */
async function expectWritten(written: ExportDone, spec: { target: ExportTarget; extension: string }): Promise<void> {
  expect(asked).toHaveLength(1);
  expect(asked[0].target).toBe(spec.target);
  expect(path.extname(asked[0].name)).toBe(spec.extension);
  const stat = await fs.stat(written.path);
  if (spec.target === 'file') {
    expect(stat.isFile()).toBe(true);
    expect(stat.size).toBeGreaterThan(0);
  } else {
    expect(stat.isDirectory()).toBe(true);
    expect(await filesUnder(written.path)).toHaveLength(2);
  }
}

describe('every export in the tables has a writer that writes its kind of target', () => {
  it.each(exportFormatIds)('results export "%s"', async (format) => {
    const { folderId } = await app!.call<{ folderId: string }>('openFolder', { path: folder });
    const written = await app!.call<ExportDone>('exportResults', { folderId, format });
    expect(written).toMatchObject({ format, count: 2 });
    expect(written.skipped ?? []).toEqual([]);
    await expectWritten(written, exportFormats[format]);
  });

  it.each(evaluationExportKinds)('evaluation export "%s"', async (kind) => {
    const { folderId } = await app!.call<{ folderId: string }>('openFolder', { path: folder });
    const written = await app!.call<ExportDone>('exportEvaluation', { folderId, kind, threshold: 0.5 });
    expect(written.count).toBe(2);
    await expectWritten(written, evaluationExports[kind]);
  });
});
