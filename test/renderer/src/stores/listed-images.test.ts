import { describe, expect, it } from 'vitest';
import { ListedImages } from '../../../../renderer/src/stores/listed-images';

describe('ListedImages', () => {
  it('keeps each row\'s id and name as the listing grows, in one array readers can hold', () => {
    const listed = new ListedImages();
    const ids = listed.ids;
    for (let b = 0; b < 5; b++) listed.append({ ids: Array.from({ length: 1000 }, (_, i) => `d${b}/img${i}.jpg`) });
    expect(listed.count).toBe(5000);
    // Grown in place: a reader holding the ids sees the whole listing.
    expect(listed.ids).toBe(ids);
    expect(listed.entryAt(0)).toEqual({ id: 'd0/img0.jpg', name: 'img0.jpg' });
    expect(listed.entryAt(4999)).toEqual({ id: 'd4/img999.jpg', name: 'img999.jpg' });
    expect(listed.entryAt(5000)).toBeUndefined();
  });

  it('gives the same entry object when asked again, so a view holding it is not re-run', () => {
    const listed = new ListedImages();
    listed.append({ ids: ['a.jpg', 'sub/b.jpg'] });
    const first = listed.entryAt(1);
    expect(listed.entryAt(1)).toBe(first);
    expect(first).toEqual({ id: 'sub/b.jpg', name: 'b.jpg' });
    // Many others asked for since: a new object with the same row.
    for (let k = 0; k < 100; k++) listed.append({ ids: [`x${k}.jpg`] });
    for (let i = 2; i < 102; i++) listed.entryAt(i);
    expect(listed.entryAt(1)).toEqual(first);
  });
});
