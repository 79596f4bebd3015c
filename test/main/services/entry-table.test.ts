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

  it('takes a whole listing as its rows: lookups, updates and additions then work as for rows put one by one', () => {
    const table = new EntryTable();
    const ids = Array.from({ length: 3000 }, (_, i) => `d${i % 4}/img ${i}.jpg`);
    table.adopt(ids, Float64Array.from(ids, (_, i) => i), Float64Array.from(ids, (_, i) => 1_700_000_000_000.5 + i));
    expect(table.size).toBe(3000);
    expect([table.idAt(7), table.sizeAt(7), table.mtimeAt(7)]).toEqual(['d3/img 7.jpg', 7, 1_700_000_000_007.5]);
    expect(table.get('d2/img 2998.jpg')).toEqual({ id: 'd2/img 2998.jpg', name: 'img 2998.jpg', size: 2998, mtimeMs: 1_700_000_000_000.5 + 2998 });
    expect(table.has('d0/img 1.jpg')).toBe(false);
    table.put('d1/img 1.jpg', 11, 12);
    table.put('new.jpg', 1, 2);
    expect(table.size).toBe(3001);
    expect([...table.values()].slice(0, 2).map((e) => e.size)).toEqual([0, 11]);
    expect(table.columns().ids[3000]).toBe('new.jpg');
    expect(table.repeated).toBe(false);
  });

  it('gives each id its size and mtime, asked in listing order or not, as get() does', () => {
    const ids = Array.from({ length: 500 }, (_, i) => `d${i % 3}/img ${i}.jpg`);
    const table = new EntryTable();
    table.adopt([...ids], Float64Array.from(ids, (_, i) => i * 10), Float64Array.from(ids, (_, i) => i + 0.5));
    const asked = [...ids, ...ids.slice(100, 140).reverse(), 'missing.jpg', ids[7], ids[8], ids[499], 'x', ids[0]];
    for (const id of asked) {
      const entry = table.get(id);
      expect(table.identityOf(id), id).toEqual(entry ? { size: entry.size, mtimeMs: entry.mtimeMs } : undefined);
    }
    table.put('new.jpg', 3, 4);
    table.put(ids[1], 5, 6);
    expect(table.identityOf('new.jpg')).toEqual({ size: 3, mtimeMs: 4 });
    expect(table.identityOf(ids[1])).toEqual({ size: 5, mtimeMs: 6 });
    expect(table.identityOf(ids[2])).toEqual({ size: 20, mtimeMs: 2.5 });
  });

  it('says when a listing it took names an id twice, keeping the first row for it', () => {
    const table = new EntryTable();
    table.adopt(['a.jpg', 'b.jpg', 'a.jpg'], Float64Array.of(1, 2, 3), Float64Array.of(1, 2, 3));
    table.indexUpTo(2);
    expect(table.repeated).toBe(false);
    expect(table.get('a.jpg')!.size).toBe(1);
    expect(table.repeated).toBe(true);
  });
});
