import { describe, expect, it } from 'vitest';
import { EntryColumns } from '../../../../renderer/src/stores/entry-columns';

const batch = (ids: string[], size = (i: number) => i, mtime = (i: number) => 1_700_000_000_000 + i + 0.5) => ({
  ids,
  sizes: ids.map((_, i) => size(i)),
  mtimes: ids.map((_, i) => mtime(i)),
});

describe('EntryColumns', () => {
  it('keeps each row\'s id, name, size and mtime as the listing grows far past its first room', () => {
    const columns = new EntryColumns();
    const ids = columns.ids;
    for (let b = 0; b < 5; b++) columns.append(batch(Array.from({ length: 1000 }, (_, i) => `d${b}/img${i}.jpg`), (i) => b * 1000 + i));
    expect(columns.count).toBe(5000);
    // Grown in place: a reader holding the ids sees the whole listing.
    expect(columns.ids).toBe(ids);
    expect(columns.entryAt(0)).toEqual({ id: 'd0/img0.jpg', name: 'img0.jpg', size: 0, mtimeMs: 1_700_000_000_000.5 });
    expect(columns.entryAt(4999)).toEqual({ id: 'd4/img999.jpg', name: 'img999.jpg', size: 4999, mtimeMs: 1_700_000_000_999.5 });
    expect(columns.entryAt(5000)).toBeUndefined();
  });

  it('writes sizes that arrive later into the rows they name, and skips positions not listed', () => {
    const columns = new EntryColumns();
    columns.append(batch(['a.jpg', 'b.jpg', 'c.jpg'], () => -1, () => -1));
    const before = columns.entryAt(2);
    expect(columns.identify({ at: [2, 7, -1, 0], sizes: [30, 70, 1, 10], mtimes: [3000, 7000, 1, 1000] })).toBe(2);
    expect([0, 1, 2].map((i) => columns.entryAt(i))).toEqual([
      { id: 'a.jpg', name: 'a.jpg', size: 10, mtimeMs: 1000 },
      { id: 'b.jpg', name: 'b.jpg', size: -1, mtimeMs: -1 },
      { id: 'c.jpg', name: 'c.jpg', size: 30, mtimeMs: 3000 },
    ]);
    // An entry handed out earlier is not changed under its reader; an unchanged row gives the same
    // object again (the open image reloads its record when its entry changes).
    expect(before).toEqual({ id: 'c.jpg', name: 'c.jpg', size: -1, mtimeMs: -1 });
    expect(columns.entryAt(1)).toBe(columns.entryAt(1));
    expect(columns.entryAt(2)).not.toBe(before);
    // Columns of different lengths: only the rows all three have.
    expect(columns.identify({ at: [1, 0], sizes: [20], mtimes: [2000, 1] })).toBe(1);
    expect(columns.sizeAt(1)).toBe(20);
    expect(columns.sizeAt(0)).toBe(10);
  });

  it('takes only complete rows from a batch whose columns disagree in length, and the next batch lines up', () => {
    const columns = new EntryColumns();
    columns.append({ ids: ['a.jpg', 'b.jpg', 'c.jpg'], sizes: [1, 2], mtimes: [10, 20, 30] });
    columns.append({ ids: ['d.jpg'], sizes: [4], mtimes: [40] });
    expect(columns.ids).toEqual(['a.jpg', 'b.jpg', 'd.jpg']);
    expect(columns.entryAt(2)).toEqual({ id: 'd.jpg', name: 'd.jpg', size: 4, mtimeMs: 40 });
  });
});
