import { describe, expect, it } from 'vitest';
import { packEntries, unpackEntries } from '../../app/scan-batch';
import type { ImageEntry } from '../../app/types';

describe('scan batches as columns', () => {
  it('give back every entry with its name, size and mtime, in order, names with odd characters included', () => {
    const entries: ImageEntry[] = [
      { id: 'top.jpg', name: 'top.jpg', size: 10, mtimeMs: 1700000000123.456 },
      { id: 'a/b/deep one.png', name: 'deep one.png', size: 0, mtimeMs: 0 },
      { id: 'x/line\nbreak,é.webp', name: 'line\nbreak,é.webp', size: 3, mtimeMs: 5 },
    ];
    const batch = packEntries('0123456789abcdef', entries);
    expect(batch).toEqual({ folderId: '0123456789abcdef', ids: entries.map((e) => e.id), sizes: [10, 0, 3], mtimes: [1700000000123.456, 0, 5] });
    // As it crosses IPC.
    const received = JSON.parse(JSON.stringify(batch)) as typeof batch;
    const into: ImageEntry[] = [{ id: 'earlier.jpg', name: 'earlier.jpg', size: 1, mtimeMs: 1 }];
    expect(unpackEntries(received, into)).toBe(into);
    expect(into).toEqual([{ id: 'earlier.jpg', name: 'earlier.jpg', size: 1, mtimeMs: 1 }, ...entries]);
  });

  it('gives only complete rows when the columns disagree in length', () => {
    expect(unpackEntries({ folderId: 'f', ids: ['a.jpg', 'b.jpg'], sizes: [1], mtimes: [2, 3] })).toEqual([{ id: 'a.jpg', name: 'a.jpg', size: 1, mtimeMs: 2 }]);
  });
});
