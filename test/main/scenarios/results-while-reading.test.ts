import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiRef } from '../../../app/model-ref';
import { normaliseSettings } from '../../../app/settings';
import type { EventName, Events } from '../../../app/contract';
import { createLibrary } from '../../../main/services/library';
import { createListingCache } from '../../../main/services/listing-cache';
import { createResultsStore } from '../../../main/services/results';
import { createExporter } from '../../../main/services/exporter';
import { createInference } from '../../../main/services/inference';
import { createRoboflowClient } from '../../../main/services/roboflow';
import { singleEngine } from '../../../main/services/engine-classifier';
import { decodeResults } from '../../support/decode-results';
import { doneRecord } from '../../support/result-records';
import { perTestFolders, writeFile } from '../../support/service-fixtures';

// Stored results of a folder main is still reading. They are judged stale by each file's size and
// mtime as main last read them, and a large folder's results reach the page before main has read
// them all (a scan reads them after the ids; a cached listing's are re-checked in the background):
// main then says every file was read (`identitiesRead`), and `staleIds` judges the results again,
// so a file changed since it was classified is not shown as current; what main judges by them
// itself (an export, a run's choice) waits for every file to be read. And a results page waits for
// a cached listing to go out whole, so opening the journal does not hold the listing back.

const endpoint = 'http://127.0.0.1:9001';
const model = 'colors/1';
const settings = normaliseSettings({ endpointKind: 'self-hosted', endpointUrl: endpoint, model });

const { folder, keep } = perTestFolders<{ close(): Promise<void> }>();

/** Main's library and results store wired as compose wires them, over `dataDir`; `events` in order. */
function start(dataDir: string) {
  const events: EventName[] = [];
  let read: () => void = () => undefined;
  const identitiesRead = new Promise<void>((resolve) => (read = resolve));
  let listedWhole = false;
  const library = createLibrary({
    emit: (event, payload) => {
      events.push(event);
      if (event === 'identitiesRead') read();
      if (event === 'scanBatch' && (payload as Events['scanBatch']).complete) listedWhole = true;
    },
    listings: createListingCache({ dir: path.join(dataDir, 'cache', 'listings') }),
  });
  const results = createResultsStore({
    dataDir,
    settings: { get: () => settings },
    entryOf: (folderId, id) => library.get(folderId)?.entries.identityOf(id),
    listed: (folderId) => library.get(folderId)?.listed,
  });
  keep(library);
  keep(results);
  return { library, results, events, identitiesRead, listedWhole: () => listedWhole };
}

/** A folder of three images (and `more` others), untouched for a minute (so its listing is kept),
 *  and a data folder holding a result for each of the three, made of the files as they are now. */
async function classifiedFolder(more = 0) {
  const root = await folder();
  const dataDir = await folder();
  for (const name of ['a.jpg', 'b.jpg', 'c.jpg']) await writeFile(path.join(root, name), name.repeat(4));
  // Named to come first in the listing (and in the re-check), before the classified three.
  for (let i = 0; i < more; i++) await fs.writeFile(path.join(root, `0-more-${i}.jpg`), '');
  const aged = new Date(Date.now() - 60_000);
  await fs.utimes(root, aged, aged);
  const first = start(dataDir);
  const info = await first.library.open(root, true);
  await first.library.get(info.folderId)!.done;
  const journal = await first.results.journal(info.folderId, apiRef(endpoint, model));
  for (const name of ['a.jpg', 'b.jpg', 'c.jpg']) {
    const st = await fs.stat(path.join(root, name));
    await journal.append(doneRecord(name, 'red', { size: st.size, mtimeMs: st.mtimeMs }));
  }
  await first.library.close();
  await first.results.close();
  return { root, dataDir, folderId: info.folderId, aged };
}

describe('results judged again once main has read every file', () => {
  it('a cached listing: a file rewritten in place is judged stale once the background re-check has read it', async () => {
    const { root, dataDir, folderId, aged } = await classifiedFolder();
    // Rewritten in place: the folder keeps its mtime, so the next open serves the cached listing.
    await fs.writeFile(path.join(root, 'b.jpg'), 'a longer picture than before');
    await fs.utimes(root, aged, aged);

    const app = start(dataDir);
    await app.library.open(root, true);
    const done = await app.library.get(folderId)!.done;
    expect(done.cached).toBe(true);
    // Before the re-check, results are judged against the cached sizes and mtimes; it says when
    // it has read every file, after the listing's end.
    await app.identitiesRead;
    expect(app.events.filter((event) => event === 'identitiesRead' || event === 'scanDone')).toEqual(['scanDone', 'identitiesRead']);
    expect(await app.results.staleIds(folderId)).toEqual(['b.jpg']);
    const later = decodeResults(await app.results.columns(folderId, 0, 10));
    expect(later.map((r) => [r.id, r.stale])).toEqual([['a.jpg', false], ['b.jpg', true], ['c.jpg', false]]);
  });

  it('a scan: every file is read before the scan ends, and said to be; a file changed since is judged stale', async () => {
    const { root, dataDir, folderId } = await classifiedFolder();
    // A new file moves the folder's mtime: the listing is scanned afresh.
    await writeFile(path.join(root, 'c.jpg'), 'c changed');
    await writeFile(path.join(root, 'd.jpg'));

    const app = start(dataDir);
    await app.library.open(root, true);
    const done = await app.library.get(folderId)!.done;
    expect(done.cached).toBeUndefined();
    const names = app.events.filter((event) => event === 'identitiesRead' || event === 'scanDone');
    expect(names).toEqual(['identitiesRead', 'scanDone']);
    expect(await app.results.staleIds(folderId)).toEqual(['c.jpg']);
  });

  it('a folder with no model set, or no results, has no stale ids', async () => {
    const dataDir = await folder();
    const none = createResultsStore({ dataDir, settings: { get: () => normaliseSettings({}) } });
    const empty = createResultsStore({ dataDir, settings: { get: () => settings } });
    keep(none);
    keep(empty);
    expect(await none.staleIds('0123456789abcdef')).toEqual([]);
    expect(await empty.staleIds('0123456789abcdef')).toEqual([]);
  });
});

/** A classified folder of 3,000 images (its cached listing goes out in two batches, a turn of main
 *  apart; the classified three come last), c.jpg rewritten in place when `rewrite` is set, and the
 *  app started again with the results journal already open (so results, an export or a run could be
 *  made as soon as the listing is out). The folder is not opened yet. */
async function beforeReopening(rewrite: boolean) {
  const { root, dataDir, folderId, aged } = await classifiedFolder(2997);
  if (rewrite) {
    await fs.writeFile(path.join(root, 'c.jpg'), 'a longer picture than before');
    await fs.utimes(root, aged, aged);
  }
  const app = start(dataDir);
  await app.results.journal(folderId, apiRef(endpoint, model));
  return { root, folderId, app };
}

describe('results of a re-opened folder', () => {
  it('wait until its cached listing has gone out whole', async () => {
    const { root, folderId, app } = await beforeReopening(false);
    await app.library.open(root, true);
    const page = app.results.columns(folderId, 0, 10).then((columns) => ({ columns, listedWhole: app.listedWhole() }));
    const { columns, listedWhole } = await page;
    expect(listedWhole).toBe(true);
    expect(decodeResults(columns).map((r) => r.id)).toEqual(['a.jpg', 'b.jpg', 'c.jpg']);
    expect((await app.library.get(folderId)!.done).cached).toBe(true);
  });

  it('of a folder not open, or being scanned, are answered as ever', async () => {
    const { root, dataDir, folderId } = await classifiedFolder();
    await writeFile(path.join(root, 'd.jpg'));
    const app = start(dataDir);
    expect(decodeResults(await app.results.columns(folderId, 0, 10)).map((r) => r.id)).toEqual(['a.jpg', 'b.jpg', 'c.jpg']);
    await app.library.open(root, true);
    expect(decodeResults(await app.results.columns(folderId, 0, 10))).toHaveLength(3);
    expect((await app.library.get(folderId)!.done).cached).toBeUndefined();
  });

  it('an export started at once waits for the re-check: a file rewritten in place is exported as stale', async () => {
    const { root, folderId, app } = await beforeReopening(true);
    await app.library.open(root, true);
    const exporter = createExporter({ results: app.results, library: app.library, settings: { get: () => settings } });
    const out = path.join(await folder(), 'results.json');
    await exporter.export({ folderId, format: 'json', path: out });
    expect((await app.library.get(folderId)!.done).cached).toBe(true);
    const doc = JSON.parse(await fs.readFile(out, 'utf8')) as { images: Array<{ path: string; stale: boolean }> };
    expect(doc.images.filter((image) => image.stale).map((image) => image.path)).toEqual(['c.jpg']);
  });

  it('a run started at once waits for the re-check: a file rewritten in place is sent again, not skipped', async () => {
    const { root, folderId, app } = await beforeReopening(true);
    const inference = createInference({
      classifier: singleEngine({ api: createRoboflowClient({ fetch: () => Promise.reject(new Error('offline')), timeoutMs: 1000, authMode: settings.authMode, maxUploadSize: settings.maxUploadSize, requestLimit: Infinity }) }),
      results: app.results,
      library: app.library,
      settings: { get: () => settings },
      getApiKey: async () => 'test-key-123',
      emit: () => undefined,
    });
    keep(inference);
    await app.library.open(root, true);
    const started = await inference.start({ folderId, ids: ['a.jpg', 'b.jpg', 'c.jpg'] });
    expect({ total: started.total, skipped: started.skipped }).toEqual({ total: 1, skipped: 2 });
    await inference.cancel(started.jobId);
  });
});
