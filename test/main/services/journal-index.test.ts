import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJournal } from '../../../main/services/results-journal';
import { removeDir, tempDir } from '../../support/service-fixtures';

// A journal that keeps only a brief of each record in memory and reads the record back from its
// line in the file: what the results store does at 250,000 results.

interface Rec {
  id: string;
  n: number;
  text: string;
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => removeDir(dir));

const parse = (v: unknown) => (typeof v === 'object' && v !== null && typeof (v as Rec).id === 'string' && typeof (v as Rec).n === 'number' ? (v as Rec) : null);
const openLean = (file: string) => openJournal<Rec, number>({ path: file, parse, key: (r) => r.id, brief: (r) => r.n, syncIntervalMs: 60_000 });
const rec = (id: string, n: number, text = `text ${n}`): Rec => ({ id, n, text });
const line = (r: Rec) => JSON.stringify(r) + '\n';

describe('a journal that reads records back by offset', () => {
  it('gives every record as written: multi-byte text, lines across read chunks, garbled lines between, the latest per key', async () => {
    const file = path.join(dir, 'mixed.jsonl');
    const big = 'x'.repeat(700_000); // two of these straddle the 1 MB read chunks
    const written = [
      rec('a.jpg', 1, 'plain'),
      rec('é/猫 🐈.jpg', 2, 'accents é, CJK 猫, emoji 🐈, quote " and newline \n inside'),
      rec('big1', 3, big),
      rec('b.jpg', 4, 'ünïcödé after a big line'),
      rec('big2', 5, big + '🐈'),
      rec('a.jpg', 6, 'a again, later'),
      rec('c,with comma.jpg', 7, 'last'),
    ];
    const text = written.map(line).join('').replace(line(written[3]), 'not json at all\n' + line(written[3]) + '{"id": 42}\n' + '\xff\xfe garbage bytes\n');
    const [head, tail] = text.split('{"id": 42}\n');
    // Bytes that are no UTF-8 at all, in a line of their own.
    await fs.writeFile(file, Buffer.concat([Buffer.from(head + '{"id": 42}\n'), Buffer.from([0xff, 0xfe, 0x80, 0x0a]), Buffer.from(tail)]));
    const j = await openLean(file);
    expect(j.stats.garbled).toBe(4);
    expect(j.size).toBe(6);
    expect([...j.values()]).toEqual([written[5], written[1], written[2], written[3], written[4], written[6]]);
    expect([...j.briefs()]).toEqual([['a.jpg', 6], ['é/猫 🐈.jpg', 2], ['big1', 3], ['b.jpg', 4], ['big2', 5], ['c,with comma.jpg', 7]]);
    expect(j.get('é/猫 🐈.jpg')).toEqual(written[1]);
    expect(j.get('big2')?.text).toBe(big + '🐈');
    expect(j.brief('b.jpg')).toBe(4);
    expect(j.get('missing')).toBeUndefined();
    await j.close();
  });

  it('reads records from the file, not memory: a line changed in place underneath is read as it now is, or not at all', async () => {
    const file = path.join(dir, 'in-place.jsonl');
    await fs.writeFile(file, line(rec('a', 1, 'aaaa')) + line(rec('b', 2, 'bbbb')));
    const j = await openLean(file);
    const bytes = await fs.readFile(file, 'utf8');
    // Same length, other text: the record now on disk is what a reader gets.
    await fs.writeFile(file, bytes.replace('aaaa', 'AAAA').replace('"b"', '"z"'));
    expect(j.get('a')).toEqual(rec('a', 1, 'AAAA'));
    // The line at b's place now holds another key: not passed off as b.
    expect(j.get('b')).toBeUndefined();
    expect([...j.values()]).toEqual([rec('a', 1, 'AAAA')]);
    await j.close();
  });

  it('gives its own appends at once and after a refresh, and after reopening', async () => {
    const file = path.join(dir, 'own.jsonl');
    const j = await openLean(file);
    await j.append(rec('a', 1, 'é'));
    await j.append(rec('b', 2));
    expect(j.get('a')).toEqual(rec('a', 1, 'é'));
    await j.refresh(); // locates the lines: only ours were added
    await j.append(rec('a', 3, '🐈'));
    await j.refresh();
    expect([...j.values()]).toEqual([rec('a', 3, '🐈'), rec('b', 2)]);
    expect([...j.briefs()]).toEqual([['a', 3], ['b', 2]]);
    await j.close();
    expect(j.get('a')).toBeUndefined(); // closed: nothing read through a closed file
    const again = await openLean(file);
    expect([...again.values()]).toEqual([rec('a', 3, '🐈'), rec('b', 2)]);
    await again.close();
  });

  it('stays right with another process appending and compacting the same file', async () => {
    const file = path.join(dir, 'shared.jsonl');
    const a = await openLean(file);
    const b = await openLean(file);
    await a.append(rec('x', 1, 'ä'));
    await b.append(rec('y', 2, '猫'));
    await a.append(rec('x', 3, 'ö'));
    await b.refresh(); // others appended: reads the range, its own line included
    await a.refresh();
    expect(b.get('x')).toEqual(rec('x', 3, 'ö'));
    expect(a.get('y')).toEqual(rec('y', 2, '猫'));
    expect(b.get('y')).toEqual(rec('y', 2, '猫'));

    await a.compact(); // a new file renamed over the one b reads its offsets from
    expect(b.get('x')).toEqual(rec('x', 3, 'ö')); // still the old file, still right
    expect(a.get('x')).toEqual(rec('x', 3, 'ö'));
    await b.append(rec('z', 4, '🐈')); // lands in the old inode
    await b.refresh(); // notices the new inode, writes z again, reads the new file
    await a.refresh();
    for (const j of [a, b]) expect([...j.values()]).toEqual([rec('x', 3, 'ö'), rec('y', 2, '猫'), rec('z', 4, '🐈')]);

    // b compacts while a has appended a line b has not seen: carried over, and readable by both.
    await a.append(rec('w', 5));
    await b.compact();
    await a.refresh();
    for (const j of [a, b]) {
      expect(j.get('w')).toEqual(rec('w', 5, 'text 5'));
      expect(j.get('z')).toEqual(rec('z', 4, '🐈'));
    }
    await a.close();
    await b.close();
  });

  it('survives the file being cut short underneath: missing records read as absent, a refresh reloads', async () => {
    const file = path.join(dir, 'cut.jsonl');
    await fs.writeFile(file, line(rec('a', 1)) + line(rec('b', 2)));
    const j = await openLean(file);
    await fs.truncate(file, line(rec('a', 1)).length);
    expect(j.get('a')).toEqual(rec('a', 1, 'text 1'));
    expect(j.get('b')).toBeUndefined();
    await j.refresh();
    expect(j.size).toBe(1);
    expect([...j.values()]).toEqual([rec('a', 1, 'text 1')]);
    await j.close();
  });
});
