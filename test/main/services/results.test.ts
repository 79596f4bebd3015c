import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiRef } from '../../../app/model-ref';
import { normaliseSettings } from '../../../app/settings';
import type { ResultRecord } from '../../../app/types';
import { createModelRefs } from '../../../main/services/model-refs';
import { decodeResults } from '../../support/decode-results';
import { createResultsStore, isStale, journalKey, storedIdentity, summarise, type ResultsStore } from '../../../main/services/results';
import { doneRecord as record } from '../../support/result-records';
import { tickEachTurn } from '../../support/event-loop-ticks';

const endpoint = 'http://127.0.0.1:9001';
const model = 'colors/1';
const folderId = '0123456789abcdef';

let dataDir: string;
let store: ResultsStore;

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-results-'));
  const settings = normaliseSettings({ endpointKind: 'self-hosted', endpointUrl: endpoint, model });
  store = createResultsStore({ dataDir, settings: { get: () => settings } });
});
afterEach(async () => {
  await store.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

const journalFile = () => path.join(dataDir, 'results', `${journalKey(folderId, apiRef(endpoint, model))}.jsonl`);

async function reopen(): Promise<ResultsStore> {
  await store.close();
  const settings = normaliseSettings({ endpointKind: 'self-hosted', endpointUrl: endpoint, model });
  store = createResultsStore({ dataDir, settings: { get: () => settings } });
  return store;
}


/** Reopens the store with a.jpg as journalled and b.jpg changed since (size, mtime): its journal. */
async function reopenWithEntries() {
  const entries = new Map([['a.jpg', { size: 1000, mtimeMs: 1_700_000_000_000 }], ['b.jpg', { size: 999, mtimeMs: 1 }]]);
  await store.close();
  const settings = normaliseSettings({ endpointKind: 'self-hosted', endpointUrl: endpoint, model });
  store = createResultsStore({ dataDir, settings: { get: () => settings }, entryOf: (_f, id) => entries.get(id) });
  return store.journal(folderId, apiRef(endpoint, model));
}
describe('results store', () => {
  it('appends one line per record under the data dir and reloads the latest per id', async () => {
    const j = await store.journal(folderId, apiRef(endpoint, model));
    await j.append(record('a.jpg', 'red'));
    await j.append(record('b.jpg', 'green'));
    await j.append(record('a.jpg', 'blue'));
    const text = await fs.readFile(journalFile(), 'utf8');
    expect(text.trim().split('\n')).toHaveLength(3);
    expect(path.basename(journalFile())).toMatch(/^[0-9a-f]{16}\.jsonl$/);

    const again = await (await reopen()).journal(folderId, apiRef(endpoint, model));
    expect(again.size).toBe(2);
    expect(again.get('a.jpg')?.response?.top).toBe('blue');
    expect(again.get('b.jpg')?.response?.top).toBe('green');
  });

  it('keeps different endpoints and models apart', async () => {
    await (await store.journal(folderId, apiRef(endpoint, model))).append(record('a.jpg', 'red'));
    const other = await store.journal(folderId, apiRef(endpoint, 'colors/2'));
    expect(other.size).toBe(0);
    expect(journalKey(folderId, apiRef(endpoint, model))).not.toBe(journalKey(folderId, apiRef('https://serverless.roboflow.com', model)));
  });

  it('ignores and cuts off a torn last line, counts it, and appends cleanly afterwards', async () => {
    const j = await store.journal(folderId, apiRef(endpoint, model));
    await j.append(record('a.jpg', 'red'));
    await j.append(record('b.jpg', 'green'));
    await store.close();
    const full = JSON.stringify(record('c.jpg', 'blue'));
    await fs.appendFile(journalFile(), full.slice(0, full.length / 2));

    const again = await (await reopen()).journal(folderId, apiRef(endpoint, model));
    expect(again.stats.tornTail).toBe(true);
    expect(again.stats.garbled).toBe(1);
    expect(again.size).toBe(2);
    expect(again.has('c.jpg')).toBe(false);
    await again.append(record('d.jpg', 'red'));

    const third = await (await reopen()).journal(folderId, apiRef(endpoint, model));
    expect(third.stats.garbled).toBe(0);
    expect([...third.values()].map((r) => r.id)).toEqual(['a.jpg', 'b.jpg', 'd.jpg']);
  });

  it('skips a garbled or invalid line in the middle and keeps the rest', async () => {
    await fs.mkdir(path.dirname(journalFile()), { recursive: true });
    const lines = [JSON.stringify(record('a.jpg', 'red')), '{"id": "x", "oops', JSON.stringify({ id: 'y' }), JSON.stringify(record('b.jpg', 'green'))];
    await fs.writeFile(journalFile(), lines.join('\n') + '\n');
    const j = await store.journal(folderId, apiRef(endpoint, model));
    expect(j.stats.garbled).toBe(2);
    expect(j.stats.tornTail).toBe(false);
    expect([...j.values()].map((r) => r.id)).toEqual(['a.jpg', 'b.jpg']);
  });

  it('compacts atomically when the file holds more than twice the live records, keeping the latest', async () => {
    const j = await store.journal(folderId, apiRef(endpoint, model));
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20; i++) await j.append(record(`img-${i}.jpg`, round % 2 ? 'green' : 'red', { finishedAt: `round-${round}` }));
    }
    // 100 appends over 20 ids: compaction (from 64 lines on, when lines > 2x live) must have run.
    const lines = (await fs.readFile(journalFile(), 'utf8')).trim().split('\n');
    expect(lines.length).toBeLessThan(64);
    expect(j.lines).toBe(lines.length);
    const entries = await fs.readdir(path.dirname(journalFile()));
    expect(entries.filter((e) => e.endsWith('.tmp'))).toEqual([]);

    const again = await (await reopen()).journal(folderId, apiRef(endpoint, model));
    expect(again.size).toBe(20);
    for (const r of again.values()) {
      expect(r.finishedAt).toBe('round-4');
      expect(r.response?.top).toBe('red');
    }
  });

  it('shares one journal between two writers (app and CLI): each sees the other, even across a compaction', async () => {
    const { openJournal } = await import('../../../main/services/results-journal');
    const open = () => openJournal<ResultRecord>({ path: journalFile(), parse: (v) => v as ResultRecord, key: (r) => r.id, syncIntervalMs: 60_000 });
    const a = await open();
    const b = await open();
    await a.append(record('x.jpg', 'red'));
    await b.append(record('y.jpg', 'green'));
    await a.append(record('x.jpg', 'blue'));
    await b.refresh();
    await a.refresh();
    expect(b.get('x.jpg')?.response?.top).toBe('blue');
    expect(a.get('y.jpg')?.response?.top).toBe('green');
    expect(a.lines).toBe(3);
    expect(b.lines).toBe(3);

    await a.compact(); // renames a new file over the one b still has open
    await b.append(record('z.jpg', 'red')); // lands in the old inode
    await b.refresh(); // notices the new inode and writes z again
    await a.refresh();
    expect(a.get('z.jpg')?.response?.top).toBe('red');
    await a.close();
    await b.close();
    const c = await open();
    expect([...c.values()].map((r) => [r.id, r.response?.top])).toEqual([['x.jpg', 'blue'], ['y.jpg', 'green'], ['z.jpg', 'red']]);
    await c.close();
  });

  it('flags a record stale when the file size or mtime changed; web ids never go stale', () => {
    const r = record('a.jpg', 'red');
    expect(isStale(r, { size: r.size, mtimeMs: r.mtimeMs })).toBe(false);
    expect(isStale(r, { size: r.size + 1, mtimeMs: r.mtimeMs })).toBe(true);
    expect(isStale(r, { size: r.size, mtimeMs: r.mtimeMs + 2000 })).toBe(true);
    expect(isStale({ ...r, id: 'https://example.com/a.jpg', size: 0, mtimeMs: 0 }, { size: 5, mtimeMs: 5 })).toBe(false);
  });

  it('pages summaries with normalised scores and the stale flag, and gives full details', async () => {
    const j = await reopenWithEntries();
    await j.append(record('a.jpg', 'red'));
    await j.append(record('b.jpg', 'green'));
    await j.append({ id: 'c.jpg', size: 1, mtimeMs: 1, status: 'error', error: { code: 'bad_image', message: 'Not an image.' }, startedAt: 'x', finishedAt: 'y' });

    const first = await store.page(folderId, 0, 2);
    expect(first.total).toBe(3);
    expect(first.items.map((s) => [s.id, s.status, s.stale])).toEqual([['a.jpg', 'done', false], ['b.jpg', 'done', true]]);
    expect(first.items[0].scores[0]).toEqual(['red', 0.8]);
    expect(first.items[0].multiLabel).toBe(false);
    const second = await store.page(folderId, 2, 2);
    expect(second.items).toHaveLength(1);
    expect(second.items[0].error?.code).toBe('bad_image');
    expect((await store.detail(folderId, 'b.jpg'))?.response?.top).toBe('green');
    expect(await store.detail(folderId, 'zzz.jpg')).toBeNull();
  });

  it('packs the same pages as columns: decoded, they are the summaries page by page', async () => {
    const j = await reopenWithEntries();
    await j.append(record('a.jpg', 'red'));
    await j.append(record('b.jpg', 'green, "light"\nor pale'));
    await j.append({ id: 'c.jpg', size: 1, mtimeMs: 1, status: 'error', error: { code: 'bad_image', message: 'Not an image.' }, startedAt: 'x', finishedAt: 'y' });
    await j.append(record('d.jpg', 'x', { response: { predictions: { dog: { confidence: 0.7 }, cat: { confidence: 0.6 } }, predicted_classes: ['dog', 'cat'] } }));

    for (const [offset, limit] of [[0, 2], [2, 2], [0, 10], [4, 1]]) {
      const columns = await store.columns(folderId, offset, limit);
      expect(columns.total).toBe(4);
      expect(decodeResults(columns)).toEqual((await store.page(folderId, offset, limit)).items);
    }
    const all = decodeResults(await store.columns(folderId, 0, 10));
    expect(all.map((s) => [s.id, s.status, s.stale, s.multiLabel])).toEqual([['a.jpg', 'done', false, false], ['b.jpg', 'done', true, false], ['c.jpg', 'error', false, false], ['d.jpg', 'done', false, true]]);
    expect(all[1].scores[0]).toEqual(['green, "light"\nor pale', 0.8]);
    expect(all[2].error).toEqual({ code: 'bad_image', message: 'Not an image.' });
  });

  it('makes pages asked for together one after the other, with other work served between them', async () => {
    const j = await store.journal(folderId, apiRef(endpoint, model));
    for (let i = 0; i < 300; i++) await j.append(record(`img${i}.jpg`, i % 2 ? 'red' : 'blue'));
    // What the event loop ran, in order: the pages as they were answered, and a tick of other
    // work (a thumbnail request, say) at each turn.
    const order: string[] = [];
    const stopTicks = tickEachTurn(() => order.push('tick'));
    const pages = [0, 100, 200].map((offset) => store.columns(folderId, offset, 100).then((page) => (order.push(`page ${offset}`), page)));
    const answered = await Promise.all(pages);
    stopTicks();
    expect(answered.flatMap((page) => decodeResults(page).map((s) => s.id))).toEqual(Array.from({ length: 300 }, (_, i) => `img${i}.jpg`));
    expect(order.filter((what) => what.startsWith('page'))).toEqual(['page 0', 'page 100', 'page 200']);
    const at = (name: string) => order.indexOf(name);
    expect(order.slice(at('page 0'), at('page 100'))).toContain('tick');
    expect(order.slice(at('page 100'), at('page 200'))).toContain('tick');
  });

  it('answers a record\'s own status and identity from memory, as a run decides what to send again', async () => {
    const j = await store.journal(folderId, apiRef(endpoint, model));
    await j.append(record('ok.jpg', 'red'));
    await j.append(record('unreadable.jpg', 'red', { response: { predictions: 'not a list' } }));
    await j.append({ id: 'failed.jpg', size: 5, mtimeMs: 6, status: 'error', error: { code: 'server', message: 'Server error 500' }, startedAt: 'x', finishedAt: 'y' });
    expect(storedIdentity(j, 'ok.jpg')).toEqual({ id: 'ok.jpg', size: 1000, mtimeMs: 1_700_000_000_000, status: 'done' });
    // Shown as an error (its response cannot be read), stored as done: a run skips it as before.
    expect(storedIdentity(j, 'unreadable.jpg')?.status).toBe('done');
    expect(store.summary(j, 'unreadable.jpg')).toMatchObject({ status: 'error', error: { code: 'bad_response' } });
    expect(storedIdentity(j, 'failed.jpg')).toEqual({ id: 'failed.jpg', size: 5, mtimeMs: 6, status: 'error' });
    expect(storedIdentity(j, 'none.jpg')).toBeUndefined();
    for (const id of ['ok.jpg', 'unreadable.jpg', 'failed.jpg']) expect(store.summary(j, id)).toEqual(summarise(j.get(id)!));
  });

  it('loads 100,000 records (bench figure printed, not asserted)', async () => {
    await fs.mkdir(path.dirname(journalFile()), { recursive: true });
    const out = await fs.open(journalFile(), 'w');
    const batch: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      batch.push(JSON.stringify(record(`folder-${i % 100}/image-${i}.jpg`, i % 3 ? 'red' : 'blue')));
      if (batch.length === 5000) await out.write(batch.splice(0).join('\n') + '\n');
    }
    await out.close();
    const bytes = (await fs.stat(journalFile())).size;
    const j = await store.journal(folderId, apiRef(endpoint, model));
    expect(j.size).toBe(100_000);
    expect(j.stats.garbled).toBe(0);
    console.log(JSON.stringify({ bench: 'results-load', records: j.size, mb: +(bytes / 1e6).toFixed(1), ms: Math.round(j.stats.ms) }));

    const appendStart = performance.now();
    for (let i = 0; i < 2000; i++) await j.append(record(`new-${i}.jpg`, 'green'));
    const perAppend = (performance.now() - appendStart) / 2000;
    const syncStart = performance.now();
    await j.sync();
    console.log(JSON.stringify({ bench: 'results-append', usPerAppend: Math.round(perAppend * 1000), fsyncMs: +(performance.now() - syncStart).toFixed(2) }));
  });
});

describe('journals written before ModelRef', () => {
  // Files as an older Classify Desk left them: named by 16 hex of SHA-1("folderId|endpoint|model"),
  // written out here as literals so a change of the keying cannot pass unnoticed.
  const apiFile = '990888bb8a487661.jsonl';
  const deviceSha = 'ab'.repeat(32);
  const deviceFile = '94c8646f486683d5.jsonl';

  it('load under the API ref and the device ref, and runs keep appending to the same files', async () => {
    await fs.mkdir(path.join(dataDir, 'results'), { recursive: true });
    await fs.writeFile(path.join(dataDir, 'results', apiFile), JSON.stringify(record('old-api.jpg', 'red')) + '\n');
    await fs.writeFile(path.join(dataDir, 'results', deviceFile), JSON.stringify(record('old-device.jpg', 'blue')) + '\n');
    await store.close();
    const settings = normaliseSettings({ endpointKind: 'self-hosted', endpointUrl: endpoint, model });
    const refs = createModelRefs({ settings: { get: () => settings }, deviceSha: () => deviceSha });
    store = createResultsStore({ dataDir, refs });

    expect(journalKey(folderId, apiRef(endpoint, model))).toBe(apiFile.slice(0, 16));
    expect(journalKey(folderId, { engine: 'on-device', model, sha256: deviceSha })).toBe(deviceFile.slice(0, 16));
    expect((await store.page(folderId, 0, 10)).items.map((i) => [i.id, i.scores[0][0]])).toEqual([['old-api.jpg', 'red']]);
    expect((await store.page(folderId, 0, 10, { engine: 'on-device' })).items.map((i) => [i.id, i.scores[0][0]])).toEqual([['old-device.jpg', 'blue']]);
    expect(await store.detail(folderId, 'old-device.jpg', { model, engine: 'on-device' })).toMatchObject({ status: 'done', response: { top: 'blue' } });

    await (await store.journal(folderId, { engine: 'on-device', model, sha256: deviceSha })).append(record('new.jpg', 'green'));
    expect((await fs.readFile(path.join(dataDir, 'results', deviceFile), 'utf8')).trim().split('\n')).toHaveLength(2);
  });
});
