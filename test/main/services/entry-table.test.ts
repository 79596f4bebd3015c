import { describe, expect, it } from 'vitest';
import { EntryTable } from '../../../main/services/entry-table';

// A folder's entries kept as columns must read as the Map of entries did: same entries, same
// order, an update keeping the entry's place, names from the id's last segment.

describe('entry table', () => {
  it('grows past its first capacity and gives back every entry, in first-listed order, with its name', () => {
    const table = new EntryTable();
    const ids = Array.from({ length: 5000 }, (_, i) => (i % 3 ? `d${i % 11}/sub/img ${i}.jpg` : `top ${i}.png`));
    ids.forEach((id, i) => table.set(id, { id, name: 'ignored', size: i, mtimeMs: 1_700_000_000_000.25 + i }));
    expect(table.size).toBe(5000);
    expect([...table.keys()]).toEqual(ids);
    const values = [...table.values()];
    expect(values[4999]).toEqual({ id: ids[4999], name: 'img 4999.jpg', size: 4999, mtimeMs: 1_700_000_000_000.25 + 4999 });
    expect(values[3]).toEqual({ id: 'top 3.png', name: 'top 3.png', size: 3, mtimeMs: 1_700_000_000_003.25 });
    expect(table.get('d1/sub/img 1.jpg')).toEqual(values[1]);
    expect(table.get('missing.jpg')).toBeUndefined();
    expect(table.has(ids[77])).toBe(true);
  });

  it('an update keeps the entry where it was listed; a returned entry is a copy', () => {
    const table = new EntryTable();
    for (const id of ['a.jpg', 'b.jpg', 'c.jpg']) table.put(id, 1, 1);
    table.put('a.jpg', 33, 44);
    const b = table.get('b.jpg')!;
    b.size = 999;
    expect([...table.values()]).toEqual([
      { id: 'a.jpg', name: 'a.jpg', size: 33, mtimeMs: 44 },
      { id: 'b.jpg', name: 'b.jpg', size: 1, mtimeMs: 1 },
      { id: 'c.jpg', name: 'c.jpg', size: 1, mtimeMs: 1 },
    ]);
  });

  it('reaches entries added while it is being walked, as a Map does (a scan adds while a recheck reads)', () => {
    const table = new EntryTable();
    table.put('first.jpg', 1, 1);
    const seen: string[] = [];
    for (const entry of table.values()) {
      seen.push(entry.id);
      if (seen.length < 3) table.put(`more ${seen.length}.jpg`, 1, 1);
      table.put('first.jpg', 2, 2);
    }
    expect(seen).toEqual(['first.jpg', 'more 1.jpg', 'more 2.jpg']);
  });
});
