import { apiRef } from '../../../app/model-ref';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseSettings } from '../../../app/settings';
import type { ResultRecord } from '../../../app/types';
import { createExporter, writeExport, type Exporter } from '../../../main/services/exporter';
import { uncertaintyOf } from '../../../app/uncertainty';
import { EntryTable } from '../../../main/services/entry-table';
import { createLibrary, type Library } from '../../../main/services/library';
import { createResultsStore, type ResultsStore } from '../../../main/services/results';
import { tickEachTurn } from '../../support/event-loop-ticks';

// Exports of real records over a real folder of sharp-generated images.

const endpoint = 'http://127.0.0.1:9001';
const settings = normaliseSettings({ endpointKind: 'self-hosted', endpointUrl: endpoint, model: 'colors/1', threshold: 0.5 });

let tmp: string;
let folder: string;
let store: ResultsStore;
let library: Library;
let exporter: Exporter;
let folderId: string;

const single = (top: string, conf: number): Record<string, unknown> => {
  const rest = ['red', 'green', 'blue'].filter((c) => c !== top);
  const other = (1 - conf) / 2;
  return {
    inference_id: `id-${top}`,
    time: 0.012,
    image: { width: 64, height: 48 },
    predictions: [
      { class: top, class_id: 0, confidence: conf },
      { class: rest[0], class_id: 1, confidence: other },
      { class: rest[1], class_id: 2, confidence: other },
    ],
    top,
    confidence: conf,
    server_extra: 'kept',
  };
};

async function image(rel: string, colour: string, width = 64, height = 48) {
  const file = path.join(folder, rel);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await sharp({ create: { width, height, channels: 3, background: colour } }).jpeg().toFile(file);
  return file;
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-export-'));
  folder = path.join(tmp, 'photos');
  await image('a.jpg', '#ff0000');
  await image('sub/b.jpg', '#00ff00', 200, 100);
  await image('c.jpg', '#0000ff');
  await image('=cmd.jpg', '#ff0000');
  await image('pending.jpg', '#ffffff');
  await fs.writeFile(path.join(folder, 'broken.jpg'), 'not an image');
  store = createResultsStore({ dataDir: path.join(tmp, 'data'), settings: { get: () => settings } });
  library = createLibrary({ emit: () => undefined });
  const info = await library.open(folder, true);
  folderId = info.folderId;
  await library.get(folderId)?.done;
  const entries = library.get(folderId)!.entries;
  const j = await store.journal(folderId, apiRef(endpoint, 'colors/1'));
  const rec = (id: string, extra: Partial<ResultRecord>): ResultRecord => ({
    id,
    size: entries.get(id)?.size ?? 0,
    mtimeMs: entries.get(id)?.mtimeMs ?? 0,
    status: 'done',
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:00:01.000Z',
    ...extra,
  });
  await j.append(rec('a.jpg', { response: single('red', 0.9), sent: { width: 64, height: 48, bytes: 700, resized: false, reencoded: false } }));
  await j.append(rec('sub/b.jpg', { response: single('green', 0.8) }));
  await j.append(rec('c.jpg', { response: single('blue', 0.45) }));
  await j.append(rec('=cmd.jpg', { response: single('red', 0.7) }));
  await j.append(rec('broken.jpg', { status: 'error', error: { code: 'bad_image', message: 'Not an image, "really".' } }));
  await j.append(rec('https://example.com/red.jpg', { response: single('red', 0.6) }));
  exporter = createExporter({ results: store, library, settings: { get: () => settings } });
});

afterAll(async () => {
  await store.close();
  await library.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('exporter', () => {
  it('writes the JSON export with Roboflow fields at the threshold, the response as received, and what the desktop knows', async () => {
    const out = path.join(tmp, 'out', 'results.json');
    const done = await exporter.export({ folderId, format: 'json', path: out });
    expect(done).toEqual({ path: out, count: 7, format: 'json' });
    const doc = JSON.parse(await fs.readFile(out, 'utf8'));
    expect(doc.format).toBe('classify-desk/v2');
    expect(doc.model).toEqual({ id: 'colors/1', project: 'colors', version: '1' });
    expect(doc.endpoint).toBe(endpoint);
    expect(doc.threshold).toBe(0.5);
    expect(doc.folder).toBe(await fs.realpath(folder));
    expect(Number.isNaN(Date.parse(doc.created))).toBe(false);
    const byPath = new Map<string, Record<string, unknown>>(doc.images.map((i: Record<string, unknown>) => [i.path, i]));
    const a = byPath.get('a.jpg')!;
    expect(a).toMatchObject({ status: 'done', top: 'red', confidence: 0.9, time: 0.012, inference_id: 'id-red', server_extra: 'kept' });
    // At the 0.5 threshold Roboflow answers with the red class only; the response as received is raw_response.
    expect(a.predictions).toEqual([{ class: 'red', class_id: 0, confidence: 0.9 }]);
    expect(a.raw_response).toEqual(single('red', 0.9));
    expect(a.prediction_type).toBe('ClassificationModel');
    expect(a.image_path).toBe(path.join(await fs.realpath(folder), 'a.jpg'));
    expect(a.sent).toEqual({ width: 64, height: 48, bytes: 700, resized: false, reencoded: false });
    expect(a).toMatchObject({ error: null, reviewed_label: null, reviewed_at: null, flagged: false, stale: false });
    // Uncertainty: top-1 − top-2 = 0.9 − 0.05.
    expect(a.margin).toBeCloseTo(0.85, 10);
    expect(byPath.get('pending.jpg')).toMatchObject({ margin: null, entropy: null });
    expect(Object.keys(a).slice(0, 2)).toEqual(['path', 'status']);
    expect(byPath.get('broken.jpg')).toMatchObject({ status: 'error', error: { code: 'bad_image', message: 'Not an image, "really".' } });
    expect(byPath.get('pending.jpg')).toMatchObject({ status: 'pending', error: null });
    expect(byPath.get('https://example.com/red.jpg')).toMatchObject({ status: 'done', top: 'red', image_path: 'https://example.com/red.jpg' });
    expect(JSON.stringify(doc)).not.toMatch(/rf_test_key|api_key/);
  });

  it('writes CSV with a column per class, RFC 4180 quoting and formula injection defused', async () => {
    const out = path.join(tmp, 'out', 'results.csv');
    await exporter.export({ folderId, format: 'csv', path: out, ids: ['a.jpg', 'c.jpg', '=cmd.jpg', 'broken.jpg', 'pending.jpg'] });
    const text = await fs.readFile(out, 'utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('path,status,top_class,confidence,blue,green,red,error_code,reviewed_label,reviewed_at,flagged,margin,entropy,tags,note');
    const o9 = String((1 - 0.9) / 2);
    const o7 = String((1 - 0.7) / 2);
    // Margin and entropy close each row (see app/uncertainty).
    const u = (scores: Array<[string, number]>) => Object.values(uncertaintyOf(scores, false, 0.5)!).map(String).join(',');
    expect(lines).toContain(`a.jpg,done,red,0.9,${o9},${o9},0.9,,,,false,${u([['red', 0.9], ['blue', (1 - 0.9) / 2], ['green', (1 - 0.9) / 2]])},,`);
    // Below the 0.5 threshold: no label, but the score is there.
    expect(lines.find((l) => l.startsWith('c.jpg'))).toMatch(/^c\.jpg,done,,,0\.45,/);
    expect(lines).toContain(`'=cmd.jpg,done,red,0.7,${o7},${o7},0.7,,,,false,${u([['red', 0.7], ['blue', (1 - 0.7) / 2], ['green', (1 - 0.7) / 2]])},,`);
    expect(lines).toContain('broken.jpg,error,,,,,,bad_image,,,false,,,,');
    expect(lines).toContain('pending.jpg,pending,,,,,,,,,false,,,,');
    expect(lines.at(-1)).toBe('');
  });

  it('draws annotated JPEGs with a white caption band on top, mirroring the folder', async () => {
    const out = path.join(tmp, 'annotated');
    const done = await exporter.export({ folderId, format: 'annotated', path: out });
    expect(done.count).toBe(4);
    const b = await sharp(path.join(out, 'sub', 'b.jpg')).raw().toBuffer({ resolveWithObject: true });
    expect(b.info.width).toBe(200);
    expect(b.info.height).toBeGreaterThan(100);
    const band = b.info.height - 100;
    const px = (x: number, y: number) => [...b.data.subarray((y * b.info.width + x) * 3, (y * b.info.width + x) * 3 + 3)];
    // Band corner is white, the picture below is green, and the band has dark text pixels.
    expect(px(b.info.width - 2, 1).every((v) => v > 240)).toBe(true);
    const g = px(100, band + 50);
    expect(g[1]).toBeGreaterThan(200);
    expect(g[0]).toBeLessThan(60);
    let dark = 0;
    for (let y = 0; y < band; y++) for (let x = 0; x < b.info.width; x++) if (px(x, y)[0] < 100) dark++;
    expect(dark).toBeGreaterThan(20);
    await expect(fs.access(path.join(out, 'pending.jpg'))).rejects.toThrow();
    await expect(fs.access(path.join(out, 'broken.jpg'))).rejects.toThrow();
  });

  it('copies (never moves) images into one folder per class, disambiguating clashes', async () => {
    const out = path.join(tmp, 'by-class');
    await fs.mkdir(path.join(out, 'red'), { recursive: true });
    await fs.writeFile(path.join(out, 'red', 'a.jpg'), 'already here');
    const done = await exporter.export({ folderId, format: 'class-folders', path: out });
    expect(done.count).toBe(4);
    expect((await fs.readdir(path.join(out, 'red'))).sort()).toEqual(['=cmd.jpg', 'a (2).jpg', 'a.jpg']);
    expect(await fs.readFile(path.join(out, 'red', 'a.jpg'), 'utf8')).toBe('already here');
    expect(await fs.readdir(path.join(out, 'green', 'sub'))).toEqual(['b.jpg']);
    expect(await fs.readdir(path.join(out, '_below_threshold'))).toEqual(['c.jpg']);
    const original = await fs.readFile(path.join(folder, 'a.jpg'));
    expect((await fs.readFile(path.join(out, 'red', 'a (2).jpg'))).equals(original)).toBe(true);
  });

  it('refuses an output folder inside the image folder, and honours an abort', async () => {
    await expect(exporter.export({ folderId, format: 'class-folders', path: path.join(folder, 'out') })).rejects.toMatchObject({ code: 'invalid_input' });
    const abort = new AbortController();
    abort.abort();
    const out = path.join(tmp, 'cancelled.json');
    await expect(exporter.exportWith({ folderId, format: 'json', path: out }, { signal: abort.signal })).rejects.toMatchObject({ code: 'cancelled' });
    await expect(fs.access(out)).rejects.toThrow();
    expect((await fs.readdir(tmp)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const folderOut = path.join(tmp, 'cancelled-annotated');
    await expect(exporter.exportWith({ folderId, format: 'annotated', path: folderOut }, { signal: abort.signal })).rejects.toMatchObject({ code: 'cancelled' });
    await expect(fs.readdir(folderOut)).rejects.toThrow();
  });

  it('writes thousands of rows listed out of order in the path order the grid shows, every one once', async () => {
    // More than a slice of the order's steps, in no order, with numbers, cases and nesting.
    const ids = Array.from({ length: 5_000 }, (_, i) => `${['Set', 'set', 'a/b'][i % 3]}/img${(i * 7919) % 5_000}.jpg`);
    const out = path.join(tmp, 'many.json');
    const header = { model: 'colors/1', endpoint, threshold: 0.5, created: '2026-01-01T00:00:00Z', folder };
    const done = await writeExport({ format: 'json', path: out, header, sources: ids.map((id) => ({ id, imagePath: path.join(folder, id) })) });
    expect(done.count).toBe(5_000);
    const written = (JSON.parse(await fs.readFile(out, 'utf8')) as { images: Array<{ path: string }> }).images.map((i) => i.path);
    const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
    expect(written[0].startsWith('a/b/img')).toBe(true);
    // Each row after the one before it in path order (Set and set tie in the collator: one group).
    for (let i = 1; i < written.length; i++) expect(collator.compare(written[i - 1], written[i]), `${written[i - 1]} | ${written[i]}`).toBeLessThanOrEqual(0);
    expect([...written].sort()).toEqual([...ids].sort());
  });

  it('serves other work while it reads thousands of stored records, not after all of them', async () => {
    // A folder of 5,000 listed images with a stored result each (no files: a JSON export reads none).
    const many = await fs.mkdtemp(path.join(tmp, 'many-'));
    const ids = Array.from({ length: 5_000 }, (_, i) => `d${Math.floor(i / 1000)}/img${i}.jpg`);
    const entries = new EntryTable();
    entries.adopt(ids.slice(), new Float64Array(ids.length).fill(1), new Float64Array(ids.length).fill(1));
    const manyId = 'feedfacefeedface';
    const journal = await store.journal(manyId, apiRef(endpoint, 'colors/1'));
    for (const id of ids) await journal.append({ id, size: 1, mtimeMs: 1, status: 'done', response: single('red', 0.9), startedAt: 's', finishedAt: 'f' });
    // Watched, not replaced: how many records the export has read, seen at each turn of the loop.
    let reads = 0;
    const read = journal.get.bind(journal);
    journal.get = (id: string) => (reads++, read(id));
    const info = { folderId: manyId, root: many, name: 'many', recursive: true };
    const folders = { get: (id: string) => (id === manyId ? { info, entries, settled: Promise.resolve() } : undefined), resolve: async (_f: string, id: string) => path.join(many, id) };
    const seen: number[] = [];
    const stop = tickEachTurn(() => seen.push(reads));
    const done = await createExporter({ results: store, library: folders, settings: { get: () => settings } }).export({ folderId: manyId, format: 'json', path: path.join(tmp, 'many.json') });
    stop();
    expect(done.count).toBe(5_000);
    expect(reads).toBeGreaterThanOrEqual(5_000);
    // Turns came while the records were being read (at one stretch, a turn saw none or all).
    expect(seen.some((n) => n > 0 && n < 5_000)).toBe(true);
  });

  it('suggests a file name from the folder and the model', () => {
    expect(exporter.suggestedName(folderId, 'json')).toBe('photos-colors-1.json');
    expect(exporter.suggestedName(folderId, 'class-folders')).toBe('photos-colors-1-by-class');
  });
});
