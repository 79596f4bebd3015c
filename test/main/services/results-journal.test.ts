import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJournal } from '../../../main/services/results-journal';
import { removeDir, tempDir } from '../../support/service-fixtures';

// The journal when the disk fails under it, and when a file holds a line of absurd length.

interface Rec {
  id: string;
  n: number;
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => removeDir(dir));

const parse = (v: unknown) => (typeof v === 'object' && v !== null && typeof (v as Rec).id === 'string' ? (v as Rec) : null);
const open = (file: string, write?: (h: fs.FileHandle, t: string) => Promise<unknown>) =>
  openJournal<Rec>({ path: file, parse, key: (r) => r.id, syncIntervalMs: 60_000, write });

describe('results journal', () => {
  it('cuts the torn fragment of a failed append (disk full), so the next record is not glued to it', async () => {
    const file = path.join(dir, 'full.jsonl');
    let failNext = false;
    // A disk that fills up in the middle of a line: half the line lands, then ENOSPC.
    const write = async (handle: fs.FileHandle, text: string) => {
      if (!failNext) return handle.write(text);
      failNext = false;
      await handle.write(text.slice(0, Math.floor(text.length / 2)));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    const journal = await open(file, write);
    await journal.append({ id: 'a', n: 1 });
    failNext = true;
    await expect(journal.append({ id: 'lost', n: 2 })).rejects.toMatchObject({ code: 'ENOSPC' });
    // Space again: the paid result that comes next must survive.
    await journal.append({ id: 'b', n: 3 });
    await journal.close();

    const text = await fs.readFile(file, 'utf8');
    expect(text.split('\n').filter(Boolean).map((l) => JSON.parse(l).id)).toEqual(['a', 'b']);
    const again = await open(file);
    expect([...again.values()].map((r) => r.id)).toEqual(['a', 'b']);
    expect(again.stats.garbled).toBe(0);
    await again.close();
  });

  it('loads a journal with one huge line and skips it, keeping the records around it', async () => {
    const file = path.join(dir, 'huge.jsonl');
    const huge = Buffer.alloc(24 << 20, 0x61); // 24 MB of "a" without a newline in the middle
    await fs.writeFile(file, Buffer.concat([Buffer.from('{"id":"before","n":1}\n'), huge, Buffer.from('\n{"id":"after","n":2}\n')]));
    const journal = await open(file);
    expect([...journal.values()].map((r) => r.id)).toEqual(['before', 'after']);
    expect(journal.stats.garbled).toBe(1);
    await journal.close();
  });

  it('loads a journal whose torn last line is huge (no newline at all), drops it and appends cleanly', async () => {
    const file = path.join(dir, 'huge-tail.jsonl');
    await fs.writeFile(file, Buffer.concat([Buffer.from('{"id":"kept","n":1}\n'), Buffer.alloc(20 << 20, 0x62)]));
    const journal = await open(file);
    expect(journal.stats.tornTail).toBe(true);
    await journal.append({ id: 'next', n: 2 });
    await journal.close();
    expect((await fs.readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l).id)).toEqual(['kept', 'next']);
  });

  it('reads records that span read chunks, with multi-byte characters cut at the chunk edge', async () => {
    const file = path.join(dir, 'spans.jsonl');
    const records = Array.from({ length: 40 }, (_, i) => ({ id: `r${i}-${'é'.repeat(30_000 + i)}`, n: i }));
    await fs.writeFile(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
    const journal = await open(file);
    expect([...journal.values()]).toEqual(records);
    expect(journal.stats.garbled).toBe(0);
    await journal.close();
  });
});
