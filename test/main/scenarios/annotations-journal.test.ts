import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { correctionsFolderId, useCorrections } from '../../support/corrections-harness';

// Tags and notes go through the corrections journal: one undo/redo stack, kept across restarts,
// corrupt lines dropped the same way.

const folderId = correctionsFolderId;
const { service, journalPath } = useCorrections('cd-annotations-');

describe('tags and notes in the corrections journal', () => {
  it('adds and removes tags on several images as one step, beside labels, and exports them', async () => {
    const s = service();
    await s.set(folderId, ['a.jpg'], { label: 'cat' });
    const change = await s.set(folderId, ['a.jpg', 'b.jpg'], { addTags: ['blurry', 'dark'] });
    expect(change.changed.map((c) => [c.id, c.label, c.tags])).toEqual([['a.jpg', 'cat', ['blurry', 'dark']], ['b.jpg', null, ['blurry', 'dark']]]);
    await s.set(folderId, ['b.jpg'], { removeTags: ['dark'], note: 'check the lens' });
    const find = await s.lookup(folderId);
    expect(find('b.jpg')).toMatchObject({ tags: ['blurry'], note: 'check the lens', reviewed: false });
    const review = await s.review(folderId);
    expect(review('b.jpg')).toEqual({ reviewed_label: null, reviewed_at: null, flagged: false, tags: ['blurry'], note: 'check the lens' });
    // Adding a tag an image has is no step.
    expect((await s.set(folderId, ['a.jpg'], { addTags: ['dark'] })).changed).toEqual([]);
  });

  it('undoes and redoes tag and note steps in one stack with labels, across a restart', async () => {
    const first = service();
    await first.set(folderId, ['a.jpg'], { addTags: ['blurry'] });
    await first.set(folderId, ['a.jpg'], { note: 'first' });
    await first.set(folderId, ['a.jpg'], { label: 'dog' });
    await first.undo(folderId);
    await first.undo(folderId);
    expect((await first.lookup(folderId))('a.jpg')).toMatchObject({ label: null, tags: ['blurry'] });
    expect((await first.lookup(folderId))('a.jpg')?.note).toBeUndefined();
    await first.close();
    const second = service();
    expect(await second.list(folderId)).toMatchObject({ canUndo: true, canRedo: true });
    await second.redo(folderId);
    expect((await second.lookup(folderId))('a.jpg')).toMatchObject({ tags: ['blurry'], note: 'first', label: null });
    await second.undo(folderId);
    await second.undo(folderId);
    // Removing the last tag leaves nothing: the image has no correction at all.
    expect((await second.list(folderId)).items).toEqual([]);
    await second.set(folderId, ['a.jpg'], { note: 'x' });
    expect((await second.set(folderId, ['a.jpg'], { note: null })).changed[0]).not.toHaveProperty('note');
  });

  it('drops journal lines with a bad tag or note like any corrupt line and keeps the rest', async () => {
    const s = service();
    await s.set(folderId, ['a.jpg'], { addTags: ['ok'] });
    await s.close();
    const lines = [
      { seq: 1, step: 1, op: 'set', id: 'b.jpg', tags: ['bad\u0007tag'], at: 't' },
      { seq: 2, step: 2, op: 'set', id: 'c.jpg', tags: ['x;y'], at: 't' },
      { seq: 3, step: 3, op: 'set', id: 'd.jpg', note: 'n'.repeat(1001), at: 't' },
      { seq: 4, step: 4, op: 'set', id: 'e.jpg', tags: 'not-a-list', at: 't' },
    ];
    await fs.appendFile(journalPath(), lines.map((l) => JSON.stringify(l)).join('\n') + '\n{"seq":5,"step":5,"op":"set","id":"f.jpg","tags":["tor');
    const again = service();
    expect((await again.list(folderId)).items.map((c) => [c.id, c.tags])).toEqual([['a.jpg', ['ok']]]);
    await again.set(folderId, ['g.jpg'], { addTags: ['later'] });
    await again.close();
    expect((await service().list(folderId)).items.map((c) => c.id)).toEqual(['a.jpg', 'g.jpg']);
  });
});
