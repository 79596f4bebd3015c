import { describe, expect, it } from 'vitest';
import { appendIds, codeIds, idCount, idsOf, type FrontCodedIds } from '../../app/front-coded';
import { bigFolderIds } from '../e2e/fixtures';

/** Through JSON, as the list crosses to the page. */
const across = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('front-coded ids', () => {
  it('give back every id of a big folder, in order, in under a third of the characters', () => {
    const ids = bigFolderIds(250_000);
    const coded = codeIds(ids);
    expect(Array.isArray(coded)).toBe(false);
    expect(idCount(coded)).toBe(250_000);
    expect(idsOf(across(coded))).toEqual(ids);
    // Appended after what a listing already holds, as the page takes batch after batch.
    expect(appendIds(across(coded), ['before.jpg'])).toEqual(['before.jpg', ...ids]);
    expect(appendIds(['x.jpg'], ['before.jpg'])).toEqual(['before.jpg', 'x.jpg']);
    expect(JSON.stringify(coded).length * 3).toBeLessThan(JSON.stringify(ids).length);
  });

  it('keep odd names exactly: letters outside the BMP, decomposed accents, names that start another, long shared starts', () => {
    const long = `${'deep/'.repeat(80)}`;
    const ids = [
      ...Array.from({ length: 40 }, (_, i) => `photos/${i}.jpg`),
      'photos/\u{1F600}a.jpg', 'photos/\u{1F601}a.jpg', 'photos/\u{1F601}b.jpg',
      'photos/e\u0301cole.jpg', 'photos/e\u0301cole.jpg.bak.jpg', 'photos/e.jpg',
      ...Array.from({ length: 30 }, (_, i) => `${long}img${i}.png`),
      'a.jpg', '',
    ];
    const coded = codeIds(ids) as FrontCodedIds;
    expect(Array.isArray(coded)).toBe(false);
    expect(idsOf(across(coded))).toEqual(ids);
    // No tail starts inside a letter made of two UTF-16 units: each is well-formed on its own.
    const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    expect(coded.tails.filter((tail) => loneSurrogate.test(tail))).toEqual([]);
  });

  it('stay a plain list when short or when the ids share little', () => {
    const few = ['a/1.jpg', 'a/2.jpg'];
    expect(codeIds(few)).toBe(few);
    let seed = 11;
    const random = Array.from({ length: 500 }, () => (seed = (seed * 1103515245 + 12345) % 2147483648).toString(36) + '.jpg');
    expect(codeIds(random)).toBe(random);
    expect(idsOf(random)).toBe(random);
    expect(idCount(random)).toBe(500);
  });

  it('come back empty from lengths that are not base64, and only as many as there are lengths, never throwing', () => {
    const coded = codeIds(bigFolderIds(100)) as FrontCodedIds;
    expect(idsOf({ ...coded, shared: '%%% not base64' })).toEqual([]);
    const cut = { ...coded, shared: coded.shared.slice(0, 8) };
    expect(idsOf(cut)).toEqual(bigFolderIds(100).slice(0, 6));
  });
});
