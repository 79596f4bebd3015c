import { describe, expect, it } from 'vitest';
import { SelectionStore } from '../../../../renderer/src/stores/selection.svelte';

const view = ['a', 'b', 'c', 'd', 'e'];
const idAt = (pos: number) => view[pos];

describe('SelectionStore', () => {
  it('a click selects one image, Ctrl+click adds or removes one', () => {
    const selection = new SelectionStore();
    selection.single('b', 1);
    expect(selection.ids()).toEqual(['b']);
    selection.toggle('d', 3);
    expect(selection.has('d')).toBe(true);
    expect(selection.size).toBe(2);
    selection.toggle('b', 1);
    expect(selection.ids()).toEqual(['d']);
    expect(selection.has(undefined)).toBe(false);
  });

  it('Shift+click selects the range from the last clicked image, in either direction', () => {
    const selection = new SelectionStore();
    selection.single('b', 1);
    selection.range(3, idAt);
    expect(selection.ids().sort()).toEqual(['b', 'c', 'd']);
    selection.range(0, idAt);
    expect(selection.ids().sort()).toEqual(['a', 'b']);
  });

  it('a range with nothing clicked before starts where it is pressed; clearing forgets the anchor', () => {
    const selection = new SelectionStore();
    selection.range(2, idAt);
    expect(selection.ids()).toEqual(['c']);
    selection.range(4, idAt);
    expect(selection.ids().sort()).toEqual(['c', 'd', 'e']);
    selection.clear();
    expect(selection.size).toBe(0);
    selection.range(1, idAt);
    expect(selection.ids()).toEqual(['b']);
  });
});
