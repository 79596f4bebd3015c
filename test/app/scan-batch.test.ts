import { describe, expect, it } from 'vitest';
import { batchRows, nameOf, packColumns, packEntries } from '../../app/scan-batch';
import type { ImageEntry } from '../../app/types';

const entries: ImageEntry[] = [
  { id: 'top.jpg', name: 'top.jpg', size: 10, mtimeMs: 1700000000123.456 },
  { id: 'a/b/deep one.png', name: 'deep one.png', size: 0, mtimeMs: 0 },
  { id: 'x/line\nbreak,é.webp', name: 'line\nbreak,é.webp', size: 3, mtimeMs: 5 },
];

describe('scan batches as columns', () => {
  it('give back every entry with its name, size and mtime, in order, names with odd characters included', () => {
    const batch = packEntries('0123456789abcdef', entries);
    expect(batch).toEqual({ folderId: '0123456789abcdef', ids: entries.map((e) => e.id), sizes: [10, 0, 3], mtimes: [1700000000123.456, 0, 5] });
    // As it crosses IPC; the name does not travel, it is the id's last segment.
    const received = JSON.parse(JSON.stringify(batch)) as typeof batch;
    const back = received.ids.map((id, i) => ({ id, name: nameOf(id), size: received.sizes[i], mtimeMs: received.mtimes[i] }));
    expect(back).toEqual(entries);
  });

  it('count only complete rows when the columns disagree in length', () => {
    expect(batchRows({ ids: ['a.jpg', 'b.jpg'], sizes: [1], mtimes: [2, 3] })).toBe(1);
  });

  it('pack rows of a listing kept as columns as the same batch as its entries', () => {
    const columns = { ids: entries.map((e) => e.id), sizes: Float64Array.from(entries, (e) => e.size), mtimes: Float64Array.from(entries, (e) => e.mtimeMs) };
    expect(packColumns('f', columns, 1, 3)).toEqual(packEntries('f', entries.slice(1, 3)));
    expect(packColumns('f', columns)).toEqual(packEntries('f', entries));
  });
});
