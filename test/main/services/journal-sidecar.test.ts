import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytesOf, numbersFromBytes, widthOf, type PackedKind } from '../../../app/packed-numbers';
import { decodeResults } from '../../support/decode-results';
import { createResultsStore, type ResultsStore } from '../../../main/services/results';
import { doneRecord as record, oneJournal } from '../../support/result-records';
import { tickEachTurn } from '../../support/event-loop-ticks';

// The briefs sidecar through the results store, as the app uses it: a re-open of an unchanged
// journal reads it; a sidecar that does not stand for the journal as it is (another process
// appended or compacted, the file was cut short, the sidecar is damaged or lies) is ignored and
// the journal read, so the results shown are always the journal's.

const { folderId, ref, settings } = oneJournal;

let dataDir: string;
let store: ResultsStore;

const journalFile = () => oneJournal.file(dataDir);
const sidecarFile = () => journalFile().replace(/\.jsonl$/, '.briefs');

async function reopen() {
  await store.close();
  store = createResultsStore({ dataDir, settings: { get: () => settings } });
  return store.journal(folderId, ref);
}

/** What the page shows: every result as the renderer decodes it, and one record in full. */
async function shown() {
  const items = decodeResults(await store.columns(folderId, 0, 1000));
  return { items, detail: (await store.detail(folderId, 'a.jpg'))?.response?.top ?? null };
}

/** A journal of four results (one an error, one superseded), opened once so its sidecar is written. */
async function seeded() {
  const j = await store.journal(folderId, ref);
  await j.append(record('a.jpg', 'red'));
  await j.append(record('b.jpg', 'green'));
  await j.append({ ...record('c.jpg', 'red'), status: 'error', response: undefined, error: { code: 'server', message: 'The server answered 500.' } });
  await j.append(record('a.jpg', 'blue'));
  await j.append(record('d.jpg', 'red'));
  expect((await reopen()).stats.sidecar).toBeFalsy();
  const before = await shown();
  await store.close();
  return before;
}

/** Rewrites the sidecar's body with `edit` and a matching SHA-1, keeping its stamp: only the
 *  sample of lines read back can tell it is wrong. */
async function forgeSidecar(edit: (columns: Float64Array[], json: Record<string, unknown>) => void) {
  const bytes = await fs.readFile(sidecarFile());
  const nl = bytes.indexOf(0x0a);
  const header = JSON.parse(bytes.toString('utf8', 0, nl)) as { json: number; columns: Array<[PackedKind, number]>; sha1: string };
  const body = bytes.subarray(nl + 1);
  const json = JSON.parse(body.toString('utf8', 0, header.json)) as Record<string, unknown>;
  let from = header.json;
  const columns = header.columns.map(([kind, length]) => {
    const column = Float64Array.from(numbersFromBytes(kind, body.subarray(from, from + widthOf(kind) * length)));
    from += widthOf(kind) * length;
    return column;
  });
  edit(columns, json);
  const jsonBytes = Buffer.from(JSON.stringify(json));
  // Each column in the kind it had (the edits keep within it).
  const next = Buffer.concat([jsonBytes, ...columns.map((c, i) => bytesOf(header.columns[i][0], c))]);
  const forged = { ...header, json: jsonBytes.length, sha1: createHash('sha1').update(next).digest('hex') };
  await fs.writeFile(sidecarFile(), Buffer.concat([Buffer.from(JSON.stringify(forged) + '\n'), next]));
}

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-sidecar-'));
  store = createResultsStore({ dataDir, settings: { get: () => settings } });
});
afterEach(async () => {
  await store.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('briefs sidecar', () => {
  it('a re-open of an unchanged journal reads the sidecar (private to the user) and shows the same results', async () => {
    const before = await seeded();
    expect((await fs.stat(sidecarFile())).mode & 0o777).toBe(0o600);
    const j = await reopen();
    expect(j.stats.sidecar).toBe(true);
    expect(j.size).toBe(4);
    expect(await shown()).toEqual(before);
    expect(before.items.map((s) => [s.id, s.status, s.scores[0]?.[0] ?? null])).toEqual([
      ['a.jpg', 'done', 'blue'],
      ['b.jpg', 'done', 'green'],
      ['c.jpg', 'error', null],
      ['d.jpg', 'done', 'red'],
    ]);
    // Appending after a sidecar re-open works, and the record reads back.
    await j.append(record('e.jpg', 'green'));
    expect(j.get('e.jpg')?.response?.top).toBe('green');
    expect((await reopen()).get('e.jpg')?.response?.top).toBe('green');
  });

  it('a re-open gives the event loop turns while it reads the sidecar, and still refuses one that repeats an image', async () => {
    const j = await store.journal(folderId, ref);
    for (let i = 0; i < 2000; i++) await j.append(record(`img${String(i).padStart(4, '0')}.jpg`, i % 3 ? 'red' : 'blue'));
    expect((await reopen()).stats.sidecar).toBeFalsy();
    const before = await store.columns(folderId, 0, 5000);
    await store.close();
    // Each turn taken, with what else the event loop ran in it (a tick of other work).
    let turns = 0;
    let ticks = 0;
    store = createResultsStore({ dataDir, settings: { get: () => settings }, turn: () => new Promise((resolve) => setImmediate(() => (turns++, resolve()))) });
    const stopTicks = tickEachTurn(() => ticks++);
    const j2 = await store.journal(folderId, ref);
    stopTicks();
    expect(j2.stats.sidecar).toBe(true);
    // After the JSON part, before the briefs' decoding, and between the 64 lines read back.
    expect(turns).toBeGreaterThanOrEqual(5);
    expect(ticks).toBeGreaterThanOrEqual(turns);
    expect(await store.columns(folderId, 0, 5000)).toEqual(before);
    // Row 1 names row 0's image and points at its line: the lines read back never look at row 1
    // (every 31st), only the key map can tell.
    await store.close();
    await forgeSidecar(([at, bytes], json) => {
      const keys = json.keys as string[];
      keys[1] = keys[0];
      at[1] = at[0];
      bytes[1] = bytes[0];
    });
    const j3 = await reopen();
    expect(j3.stats.sidecar).toBeFalsy();
    expect(j3.size).toBe(2000);
    expect(await store.columns(folderId, 0, 5000)).toEqual(before);
  });

  /** The sidecar's columns as its header describes them: [kind, length] each. */
  const sidecarColumns = async () => {
    const bytes = await fs.readFile(sidecarFile());
    return { size: bytes.length, header: JSON.parse(bytes.toString('utf8', 0, bytes.indexOf(0x0a))) as { json: number; columns: Array<[PackedKind, number]> } };
  };

  it('keeps every number exactly: long doubles, float32s, sizes past 4 GB, fractional mtimes', async () => {
    const j = await store.journal(folderId, ref);
    const scored = (id: string, confidences: number[], extra: Partial<ReturnType<typeof record>> = {}) => {
      const base = record(id, 'red', extra);
      const predictions = confidences.map((confidence, k) => ({ class: ['red', 'blue', 'green'][k], class_id: k, confidence }));
      return { ...base, response: { ...base.response!, predictions, confidence: confidences[0] } };
    };
    await j.append(scored('a.jpg', [0.30000000000000004, 1e-7], { size: 5_000_000_123, mtimeMs: 1_700_000_000_123 + 0.4567 }));
    await j.append(scored('b.jpg', [Math.fround(2 / 3), Math.fround(1 / 3)], { size: 12 }));
    await j.append(scored('c.jpg', [0.3431, 0.3393, 0.0001]));
    expect((await reopen()).stats.sidecar).toBeFalsy();
    const before = await shown();
    expect(before.items.map((r) => r.scores.map(([, c]) => c))).toEqual([[0.30000000000000004, 1e-7], [Math.fround(2 / 3), Math.fround(1 / 3)], [0.3431, 0.3393, 0.0001]]);
    const j2 = await reopen();
    expect(j2.stats.sidecar).toBe(true);
    expect(await shown()).toEqual(before);
    expect([j2.brief('a.jpg')?.size, j2.brief('a.jpg')?.mtimeMs]).toEqual([5_000_000_123, 1_700_000_000_123 + 0.4567]);
  });

  it('writes each column as narrow as its values allow: four-decimal confidences in 2 bytes', async () => {
    const j = await store.journal(folderId, ref);
    for (let i = 0; i < 500; i++) await j.append({ ...record(`img${i}.jpg`, i % 2 ? 'red' : 'blue'), mtimeMs: 1_700_000_000_000 + i * 1000.5 });
    expect((await reopen()).stats.sidecar).toBeFalsy();
    const before = await shown();
    await reopen();
    const { size, header } = await sidecarColumns();
    // at, bytes, size, mtime, flags, score starts, score classes, confidences.
    expect(header.columns.map(([kind]) => kind)).toEqual(['u32', 'u16', 'u16', 'f64', 'u8', 'u16', 'u8', 'e4']);
    const asDoubles = header.json + 8 * header.columns.reduce((sum, [, length]) => sum + length, 0);
    expect(size).toBeLessThan(asDoubles * 0.7);
    expect((await reopen()).stats.sidecar).toBe(true);
    expect(await shown()).toEqual(before);
  });

  const tampered: Array<[string, () => Promise<void>, (ids: string[]) => void]> = [
    ['another process appended to the journal', () => fs.appendFile(journalFile(), JSON.stringify(record('b.jpg', 'red')) + '\n' + JSON.stringify(record('e.jpg', 'blue')) + '\n'), (ids) => expect(ids).toContain('e.jpg')],
    [
      'another process compacted the journal',
      async () => {
        const lines = (await fs.readFile(journalFile(), 'utf8')).trim().split('\n').slice(1);
        await fs.writeFile(`${journalFile()}.tmp`, lines.join('\n') + '\n');
        await fs.rename(`${journalFile()}.tmp`, journalFile());
      },
      (ids) => expect(ids).toEqual(['b.jpg', 'c.jpg', 'a.jpg', 'd.jpg']),
    ],
    [
      'the journal was cut short',
      async () => {
        const text = await fs.readFile(journalFile(), 'utf8');
        await fs.truncate(journalFile(), Buffer.byteLength(text.slice(0, text.trimEnd().lastIndexOf('\n') + 1)));
      },
      (ids) => expect(ids).not.toContain('d.jpg'),
    ],
    ['the sidecar is garbage', () => fs.writeFile(sidecarFile(), Buffer.from('{"v":2}\n\u0000\u0001garbage')), (ids) => expect(ids).toHaveLength(4)],
    [
      'the sidecar is cut short',
      async () => {
        const bytes = await fs.readFile(sidecarFile());
        await fs.writeFile(sidecarFile(), bytes.subarray(0, bytes.length - 9));
      },
      (ids) => expect(ids).toHaveLength(4),
    ],
    // Columns: at, bytes, then the briefs' size, mtime, flags, score starts, score classes, confidences.
    ['a forged sidecar shows an error that is not there', () => forgeSidecar((columns) => void (columns[4][0] = 2)), (ids) => expect(ids).toHaveLength(4)],
    [
      'a forged sidecar points two images at each other’s lines',
      () =>
        forgeSidecar(([at, bytes]) => {
          [at[0], at[1]] = [at[1], at[0]];
          [bytes[0], bytes[1]] = [bytes[1], bytes[0]];
        }),
      (ids) => expect(ids).toHaveLength(4),
    ],
    ['a forged sidecar swaps two class names', () => forgeSidecar((_, json) => void (json.briefs as { classes: string[] }).classes.reverse()), (ids) => expect(ids).toHaveLength(4)],
  ];

  it.each(tampered)('%s: the journal is read instead, and the results shown are the journal’s', async (_, tamper, check) => {
    await seeded();
    await tamper();
    const j = await reopen();
    expect(j.stats.sidecar).toBeFalsy();
    const fromSidecarCase = await shown();
    check(fromSidecarCase.items.map((s) => s.id));
    // The same as a store that never had a sidecar.
    await store.close();
    await fs.rm(sidecarFile(), { force: true });
    expect((await reopen()).stats.sidecar).toBeFalsy();
    expect(await shown()).toEqual(fromSidecarCase);
  });
});
