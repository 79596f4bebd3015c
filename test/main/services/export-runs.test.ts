import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Events } from '../../../app/contract';
import { normaliseSettings } from '../../../app/settings';
import type { Emit } from '../../../main/ports';
import { createExporter } from '../../../main/services/exporter';
import { createExportRuns } from '../../../main/services/export-runs';
import { createLibrary, type Library } from '../../../main/services/library';
import { createResultsStore, type ResultsStore } from '../../../main/services/results';

// Exports from the window through the real exporter over a real folder: progress events
// (throttled, the last always sent) and cancellation that leaves no file behind.

const settings = normaliseSettings({ endpointKind: 'self-hosted', endpointUrl: 'http://127.0.0.1:9001', model: 'colors/1' });
const count = 240;

let tmp: string;
let out: string;
let library: Library;
let store: ResultsStore;
let folderId: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-export-runs-'));
  const folder = path.join(tmp, 'photos');
  out = path.join(tmp, 'out');
  await fs.mkdir(folder, { recursive: true });
  // JSON exports list every image, classified or not, and never read their bytes.
  for (let i = 0; i < count; i++) await fs.writeFile(path.join(folder, `img${i}.jpg`), 'x');
  store = createResultsStore({ dataDir: path.join(tmp, 'data'), settings: { get: () => settings } });
  library = createLibrary({ emit: () => undefined });
  folderId = (await library.open(folder, false)).folderId;
  await library.get(folderId)?.done;
});

afterAll(async () => {
  await library?.close();
  await store?.close();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

function recorder() {
  const progress: Array<Events['exportProgress']> = [];
  const emit: Emit = (event, payload) => {
    if (event === 'exportProgress') progress.push(payload as Events['exportProgress']);
  };
  return { progress, emit };
}

describe('export runs', () => {
  it('reports progress up to the total, throttled by the clock', async () => {
    const { progress, emit } = recorder();
    let now = 0;
    const runs = createExportRuns({ exporter: createExporter({ results: store, library, settings: { get: () => settings } }), emit, intervalMs: 100, clock: () => now });
    const target = path.join(out, 'all.json');
    const done = await runs.exporter.export({ folderId, format: 'json', path: target });
    expect(done.count).toBe(count);
    // The clock never moved: only the first report and the final one get through.
    expect(progress).toEqual([
      { done: 50, total: count, path: target },
      { done: count, total: count, path: target },
    ]);
    now = 1000;
    expect(runs.cancel()).toBe(false);
  });

  it('cancels an export in progress and leaves nothing behind', async () => {
    let cancelled: boolean | undefined;
    const runs = createExportRuns({
      exporter: createExporter({ results: store, library, settings: { get: () => settings } }),
      emit: (event) => {
        if (event === 'exportProgress' && cancelled === undefined) cancelled = runs.cancel();
      },
    });
    const target = path.join(out, 'cancelled.csv');
    await expect(runs.exporter.export({ folderId, format: 'csv', path: target })).rejects.toMatchObject({ code: 'cancelled' });
    expect(cancelled).toBe(true);
    expect((await fs.readdir(out)).filter((name) => name.startsWith('cancelled'))).toEqual([]);
    expect(runs.cancel()).toBe(false);
  });
});
