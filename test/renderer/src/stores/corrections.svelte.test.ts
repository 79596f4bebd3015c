import { describe, expect, it } from 'vitest';
import { appError } from '../../../../app/errors';
import type { Correction } from '../../../../app/corrections';
import { CorrectionsStore } from '../../../../renderer/src/stores/corrections.svelte';
import { fakeApi, type FakeApi } from '../../../support/fake-api';
import { folderId } from '../../../support/renderer-fixtures.svelte';

/** Main's corrections journal, in memory: every step can be undone and redone. */
function journalApi(): FakeApi {
  let current = new Map<string, Correction>();
  const undo: Array<Map<string, Correction>> = [];
  const redo: Array<Map<string, Correction>> = [];
  const change = (before: Map<string, Correction>, after: Map<string, Correction>) => {
    const ids = new Set([...before.keys(), ...after.keys()]);
    const changed = [...ids].map((id) => after.get(id) ?? { id, label: null, reviewed: false, flagged: false, at: '2026-01-01T00:00:00Z' });
    return { changed, canUndo: undo.length > 0, canRedo: redo.length > 0 };
  };
  return fakeApi({
    corrections: () => ({ items: [...current.values()], canUndo: undo.length > 0, canRedo: redo.length > 0 }),
    // The label and marks this store sends; tags and notes have their own tests.
    setCorrection: ({ ids, label, reviewed, flagged }) => {
      const before = current;
      current = new Map(current);
      for (const id of ids) {
        const old = current.get(id) ?? { id, label: null, reviewed: false, flagged: false, at: '' };
        current.set(id, { ...old, reviewed: reviewed ?? old.reviewed, flagged: flagged ?? old.flagged, label: label === undefined ? old.label : label, at: '2026-01-01T00:00:00Z' });
      }
      undo.push(before);
      redo.length = 0;
      return change(before, current);
    },
    undoCorrection: () => {
      const before = current;
      redo.push(current);
      current = undo.pop() ?? current;
      return change(before, current);
    },
    redoCorrection: () => {
      const before = current;
      undo.push(current);
      current = redo.pop() ?? current;
      return change(before, current);
    },
  });
}

describe('CorrectionsStore', () => {
  it('a label set on several images is one step that undo takes back and redo puts again', async () => {
    const store = new CorrectionsStore(journalApi());
    await store.load(folderId);
    expect(store.canUndo).toBe(false);
    await store.set(['a.jpg', 'b.jpg'], { label: 'dog' });
    expect(store.get('a.jpg')?.label).toBe('dog');
    expect(store.get('b.jpg')?.label).toBe('dog');
    expect(store.canUndo).toBe(true);

    await store.undo();
    expect(store.get('a.jpg')).toBeUndefined();
    expect(store.get('b.jpg')).toBeUndefined();
    expect(store.canUndo).toBe(false);
    expect(store.canRedo).toBe(true);

    await store.redo();
    expect(store.get('b.jpg')?.label).toBe('dog');
    expect(store.canRedo).toBe(false);
  });

  it('an undo pressed right after a label applies to that label (steps run in order)', async () => {
    const store = new CorrectionsStore(journalApi());
    await store.load(folderId);
    const steps = [store.set(['a.jpg'], { flagged: true }), store.set(['a.jpg'], { reviewed: true }), store.undo()];
    await Promise.all(steps);
    expect(store.get('a.jpg')).toMatchObject({ flagged: true, reviewed: false });
  });

  it('loads what main has stored, and shows why a change could not be saved', async () => {
    const api = fakeApi({
      corrections: () => ({ items: [{ id: 'a.jpg', label: 'cat', reviewed: true, flagged: false, at: '' }], canUndo: true, canRedo: false }),
      setCorrection: () => Promise.reject(appError('unreadable_file', 'The corrections file is read-only.')),
    });
    const store = new CorrectionsStore(api);
    await store.load(folderId);
    expect(store.get('a.jpg')?.label).toBe('cat');
    expect(store.canUndo).toBe(true);
    await store.set(['a.jpg'], { label: 'dog' });
    expect(store.get('a.jpg')?.label).toBe('cat');
    expect(store.error?.message).toBe('The corrections file is read-only.');
    store.dismissError();
    expect(store.error).toBeNull();
  });

  it('nothing is sent without an open folder or without images, and clear forgets the folder', async () => {
    const api = journalApi();
    const store = new CorrectionsStore(api);
    await store.set(['a.jpg'], { label: 'dog' });
    await store.load(folderId);
    await store.set([], { label: 'dog' });
    expect(api.requests('setCorrection')).toEqual([]);
    await store.set(['a.jpg'], { label: 'dog' });
    store.clear();
    expect(store.get('a.jpg')).toBeUndefined();
    expect(store.canUndo).toBe(false);
    await store.undo();
    expect(api.requests('undoCorrection')).toEqual([]);
  });
});
