import { describe, expect, it } from 'vitest';
import { nameOf, packEntries } from '../../app/scan-batch';
import type { ImageEntry } from '../../app/types';
import { idsOf } from '../../app/front-coded';

const entries: ImageEntry[] = [
  { id: 'top.jpg', name: 'top.jpg', size: 10, mtimeMs: 1700000000123.456 },
  { id: 'a/b/deep one.png', name: 'deep one.png', size: 0, mtimeMs: 0 },
  { id: 'x/line\nbreak,é.webp', name: 'line\nbreak,é.webp', size: 3, mtimeMs: 5 },
];

describe('scan batches', () => {
  it('give back every image with its name, in order, names with odd characters included, and nothing else', () => {
    const batch = packEntries('0123456789abcdef', entries);
    expect(batch).toEqual({ folderId: '0123456789abcdef', ids: entries.map((e) => e.id) });
    // As it crosses IPC; the name does not travel, it is the id's last segment.
    const received = JSON.parse(JSON.stringify(batch)) as typeof batch;
    expect(idsOf(received.ids).map((id) => ({ id, name: nameOf(id) }))).toEqual(entries.map(({ id, name }) => ({ id, name })));
  });
});
