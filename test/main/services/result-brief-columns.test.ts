import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeResults } from '../../support/decode-results';
import type { ResultRecord } from '../../../app/types';
import { ResultBriefColumns } from '../../../main/services/result-brief-columns';
import { createResultsStore, storedIdentity, summarise, type FileIdentity, type ResultBrief, type ResultsStore } from '../../../main/services/results';
import { doneRecord, oneJournal } from '../../support/result-records';

// Main keeps a results journal's briefs as typed columns, by row. What the page is sent (pages of
// columns, summaries) must be what the records say, whatever happened to the rows: growth past the
// first capacity, a result written again for the same image, errors and multi-label answers, a
// file changed since, a re-open through the sidecar, a compaction while the journal is open.

const { folderId, ref, settings } = oneJournal;

let dataDir: string;
let store: ResultsStore;
let entries: Map<string, FileIdentity>;

const open = () => createResultsStore({ dataDir, settings: { get: () => settings }, entryOf: (_f, id) => entries.get(id) });
const journalFile = () => oneJournal.file(dataDir);

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-brief-columns-'));
  entries = new Map();
  store = open();
});
afterEach(async () => {
  await store.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function reopen() {
  await store.close();
  store = open();
  return store.journal(folderId, ref);
}

/** A single-label answer over `n` classes (n = 0: an answer without predictions). */
function ranked(id: string, n: number, seed: number, extra: Partial<ResultRecord> = {}): ResultRecord {
  const confidences = Array.from({ length: n }, (_, k) => (((seed * 31 + k * 17) % 97) + 1) / 1000 + (n - k) / 10);
  const predictions = confidences.map((confidence, k) => ({ class: `class ${(seed + k) % 7}`, class_id: k, confidence }));
  return doneRecord(id, 'x', { response: { time: 0.01, predictions, top: predictions[0]?.class ?? '', confidence: predictions[0]?.confidence ?? 0 }, ...extra });
}

const multiLabel = (id: string): ResultRecord =>
  doneRecord(id, 'x', { response: { time: 0.01, predictions: { cat: { confidence: 0.91 }, dog: { confidence: 0.4 }, owl: { confidence: 0.05 } }, predicted_classes: ['cat'] } });
const failed = (id: string): ResultRecord => ({ ...doneRecord(id, 'x'), status: 'error', response: undefined, error: { code: 'server', message: 'The server answered 500.' } });
const unreadable = (id: string): ResultRecord => doneRecord(id, 'x', { response: { predictions: 'not a list' } });

/** Every result as the page is sent it, both ways, and what `summarise` makes of the latest
 *  records (in first-seen order) with the listing's identities. */
async function shownAndExpected(latest: ResultRecord[]) {
  const columns = decodeResults(await store.columns(folderId, 0, 50_000));
  const page = (await store.page(folderId, 0, 10_000)).items;
  const expected = latest.map((r) => summarise(r, entries.get(r.id)));
  return { columns, page, expected };
}

/** The latest record per id, in first-seen order. */
function latestOf(written: ResultRecord[]): ResultRecord[] {
  const byId = new Map<string, ResultRecord>();
  for (const r of written) byId.set(r.id, r);
  return [...byId.values()];
}

async function expectShown(written: ResultRecord[]) {
  const { columns, page, expected } = await shownAndExpected(latestOf(written));
  expect(columns).toEqual(expected);
  expect(page).toEqual(expected.slice(0, 10_000));
}

describe('result brief columns', () => {
  it('grow past their first capacity, keeping every row, its scores and its error', () => {
    const columns = new ResultBriefColumns(4, 4);
    const briefs: ResultBrief[] = [];
    for (let row = 0; row < 1500; row++) {
      const scores: number[] = [];
      for (let k = 0; k < row % 6; k++) scores.push((row + k) % 70_000, 1 / (k + 2) + row / 1e7);
      const brief: ResultBrief = { size: row * 3, mtimeMs: 1_700_000_000_000.5 + row, stored: row % 5 === 0 ? 'error' : 'done', status: row % 5 === 0 || row % 11 === 0 ? 'error' : 'done', multiLabel: row % 3 === 0, scores };
      if (row % 5 === 0) brief.error = { code: 'server', message: `failed ${row}` };
      columns.set(row, brief);
      briefs.push(brief);
    }
    expect(columns.length).toBe(1500);
    expect(columns.capacity).toBeGreaterThanOrEqual(1500);
    // Same fields in the same order: the sidecar's check compares them as JSON.
    for (let row = 0; row < 1500; row++) expect(JSON.stringify(columns.get(row))).toBe(JSON.stringify(briefs[row]));
    expect(() => columns.set(1501, briefs[0])).toThrow(RangeError);
  });

  it('take a later brief of the same row in place or at the pool’s end, and compact the pool when it is mostly leftovers', () => {
    const columns = new ResultBriefColumns(8, 8);
    const brief = (n: number, tag: number): ResultBrief => ({ size: tag, mtimeMs: tag, stored: 'done', status: 'done', multiLabel: false, scores: Array.from({ length: n }, (_, k) => [k, tag + k / 100]).flat() });
    const kept: ResultBrief[] = [];
    for (let row = 0; row < 100; row++) columns.set(row, (kept[row] = brief(2, row)));
    // Each rewrite of row 50 with more scores than before leaves its old ones behind.
    for (let n = 3; n < 400; n++) {
      columns.set(50, (kept[50] = brief(n, 1000 + n)));
      // Fewer scores than before: in place.
      columns.set(7, (kept[7] = brief(n % 2, 2000 + n)));
    }
    for (let row = 0; row < 100; row++) expect(columns.get(row)).toEqual(kept[row]);
    // Live scores are ~600; without compaction the leftovers alone would pass 79,000.
    expect(columns.poolUsed).toBeLessThan(4 * 4096);
    // An error that goes away with the next result of the image.
    columns.set(3, { ...brief(0, 3), stored: 'error', status: 'error', error: { code: 'timeout', message: 't' } });
    expect(columns.error(3)).toEqual({ code: 'timeout', message: 't' });
    columns.set(3, kept[3]);
    expect(columns.get(3)).toEqual(kept[3]);
    expect(columns.error(3)).toBeUndefined();
  });
});

describe('results kept as columns, through the store and its files', () => {
  it('a journal of more results than the first capacity reads the same from the file, from the sidecar, and after appends', async () => {
    const written = Array.from({ length: 3000 }, (_, i) => ranked(`d${i % 7}/img ${i}.jpg`, i % 6, i));
    await fs.mkdir(path.dirname(journalFile()), { recursive: true });
    await fs.writeFile(journalFile(), written.map((r) => JSON.stringify(r) + '\n').join(''));
    const first = await store.journal(folderId, ref);
    expect(first.stats.sidecar).toBeFalsy();
    await expectShown(written);
    const again = await reopen();
    expect(again.stats.sidecar).toBe(true);
    await expectShown(written);
    // Past the sidecar's exact size: the columns grow.
    const more = Array.from({ length: 50 }, (_, i) => ranked(`new ${i}.jpg`, 5, 5000 + i));
    for (const r of more) await again.append(r);
    await expectShown([...written, ...more]);
    // Pages in the page's sizes agree with one big page.
    const paged = [];
    for (let offset = 0; offset < again.size; offset += 1000) paged.push(...decodeResults(await store.columns(folderId, offset, 1000)));
    expect(paged).toEqual(decodeResults(await store.columns(folderId, 0, 50_000)));
    expect(decodeResults(await store.columns(folderId, 3040, 1000)).map((s) => s.id)).toEqual(more.slice(-10).map((r) => r.id));
  });

  it('a result written again for an image replaces it where the image was first listed: more scores, fewer, an error, then an answer again', async () => {
    const j = await store.journal(folderId, ref);
    const written: ResultRecord[] = [ranked('a.jpg', 2, 1), ranked('b.jpg', 3, 2), ranked('c.jpg', 1, 3)];
    for (const r of written) await j.append(r);
    for (const r of [ranked('b.jpg', 6, 4), ranked('b.jpg', 1, 5), failed('a.jpg'), ranked('c.jpg', 0, 6), ranked('a.jpg', 4, 7)]) {
      await j.append(r);
      written.push(r);
      await expectShown(written);
    }
    expect(j.size).toBe(3);
    expect(storedIdentity(j, 'a.jpg')?.status).toBe('done');
    await j.append(failed('c.jpg'));
    written.push(failed('c.jpg'));
    expect(storedIdentity(j, 'c.jpg')?.status).toBe('error');
    // Read whole from the file, then through its sidecar.
    expect((await reopen()).stats.sidecar).toBeFalsy();
    await expectShown(written);
    expect((await reopen()).stats.sidecar).toBe(true);
    await expectShown(written);
  });

  it('multi-label answers, errors and a stored answer that cannot be read show as summarise says, from memory and from the sidecar', async () => {
    const j = await store.journal(folderId, ref);
    const written = [multiLabel('m.jpg'), failed('f.jpg'), unreadable('u.jpg'), ranked('r.jpg', 3, 9)];
    for (const r of written) await j.append(r);
    await expectShown(written);
    const { columns } = await shownAndExpected(written);
    expect(columns.map((s) => [s.status, s.multiLabel, s.error?.code ?? null])).toEqual([['done', true, null], ['error', false, 'server'], ['error', false, 'bad_response'], ['done', false, null]]);
    // Deciding whether to send again goes by the record's own status, not the shown one.
    expect(storedIdentity(j, 'u.jpg')?.status).toBe('done');
    expect(storedIdentity(j, 'f.jpg')?.status).toBe('error');
    expect(storedIdentity(j, 'nothing.jpg')).toBeUndefined();
    for (const r of written) expect(store.summary(j, r.id)).toEqual(summarise(r));
    expect((await reopen()).stats.sidecar).toBeFalsy();
    const again = await reopen();
    expect(again.stats.sidecar).toBe(true);
    await expectShown(written);
    for (const r of written) expect(store.summary(again, r.id)).toEqual(summarise(r));
  });

  it('a result is stale once its image changed, and not for an image no longer listed', async () => {
    const j = await store.journal(folderId, ref);
    const written = [ranked('same.jpg', 2, 1), ranked('resized.jpg', 2, 2), ranked('touched.jpg', 2, 3), ranked('gone.jpg', 2, 4)];
    for (const r of written) await j.append(r);
    entries.set('same.jpg', { size: 1000, mtimeMs: 1_700_000_000_000.7 });
    entries.set('resized.jpg', { size: 1001, mtimeMs: 1_700_000_000_000 });
    entries.set('touched.jpg', { size: 1000, mtimeMs: 1_700_000_001_000 });
    await expectShown(written);
    const stale = decodeResults(await store.columns(folderId, 0, 10)).map((s) => [s.id, s.stale]);
    expect(stale).toEqual([['same.jpg', false], ['resized.jpg', true], ['touched.jpg', true], ['gone.jpg', false]]);
    // Run again on the new file: no longer stale.
    await j.append(ranked('resized.jpg', 2, 2, { size: 1001 }));
    expect(decodeResults(await store.columns(folderId, 1, 1))[0].stale).toBe(false);
  });

  it('a journal compacted while open, here or by another process, shows the same results, then takes appends', async () => {
    const j = await store.journal(folderId, ref);
    const written: ResultRecord[] = [];
    // 20 images, each answered ten times: the journal compacts itself on the way (over 64 lines, mostly superseded).
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 20; i++) {
        const r = i % 4 === 0 && round % 3 === 0 ? failed(`img ${i}.jpg`) : i % 5 === 0 ? multiLabel(`img ${i}.jpg`) : ranked(`img ${i}.jpg`, 1 + ((i + round) % 5), round * 20 + i);
        await j.append(r);
        written.push(r);
      }
    }
    expect(j.lines).toBeLessThan(written.length);
    await expectShown(written);
    // Another process (the CLI) opens the same journal, appends, and compacts it under us (after
    // our last check: lines of ours since one would be written again into its file).
    await j.refresh();
    const other = open();
    const theirs = await other.journal(folderId, ref);
    for (let i = 0; i < 30; i++) await theirs.append(ranked(`img ${i % 25}.jpg`, 2, 900 + i));
    await theirs.compact();
    await other.close();
    await j.refresh();
    expect(j.size).toBe(25);
    // What the compacted file holds, in its order.
    const inFile = (await fs.readFile(journalFile(), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ResultRecord);
    expect(inFile).toHaveLength(25);
    const { columns, expected } = await shownAndExpected(inFile);
    expect(columns).toEqual(expected);
    expect(expected.find((s) => s.id === 'img 3.jpg')?.scores).toHaveLength(2);
    const r = multiLabel('after.jpg');
    await j.append(r);
    expect(decodeResults(await store.columns(folderId, 25, 10))).toEqual([summarise(r)]);
    expect(j.get('img 3.jpg')).toEqual(inFile.find((x) => x.id === 'img 3.jpg'));
  });
});
