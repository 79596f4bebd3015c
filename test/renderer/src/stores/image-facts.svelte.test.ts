import { describe, expect, it } from 'vitest';
import { appError } from '../../../../app/errors';
import { ImageFactsStore, modifiedText, sizeText } from '../../../../renderer/src/stores/image-facts.svelte';
import { fakeApi } from '../../../support/fake-api';

const folderId = '0123456789abcdef';
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('ImageFactsStore', () => {
  it('asks main once for a shown image, then says its size and date', async () => {
    const api = fakeApi({ imageFacts: ({ id }) => ({ size: id.length * 1000, mtimeMs: Date.UTC(2026, 0, 2) }) });
    const facts = new ImageFactsStore(api);
    expect(facts.of('panel', folderId, 'cat.jpg')).toEqual({ state: 'reading' });
    expect(sizeText(facts.of('panel', folderId, 'cat.jpg'))).toBe('being read…');
    await tick();
    const read = facts.of('panel', folderId, 'cat.jpg');
    expect(read).toEqual({ state: 'read', facts: { size: 7000, mtimeMs: Date.UTC(2026, 0, 2) } });
    expect(sizeText(read)).toBe('6.8 KB');
    expect(modifiedText(read)).toBe(new Date(Date.UTC(2026, 0, 2)).toLocaleString());
    expect(api.requests('imageFacts')).toEqual([{ folderId, id: 'cat.jpg' }]);
  });

  it('reads an image again each time a place starts showing it, showing the older facts meanwhile', async () => {
    let size = 100;
    const api = fakeApi({ imageFacts: () => ({ size, mtimeMs: 1 }) });
    const facts = new ImageFactsStore(api);
    facts.of('panel', folderId, 'a.jpg');
    await tick();
    size = 250;
    // Still shown there: asked again (every re-render asks), not read again.
    expect(facts.of('panel', folderId, 'a.jpg')).toMatchObject({ facts: { size: 100 } });
    expect(api.requests('imageFacts')).toHaveLength(1);
    // Shown in the full view too: read there.
    expect(facts.of('full-view', folderId, 'a.jpg')).toMatchObject({ facts: { size: 100 } });
    await tick();
    expect(facts.of('panel', folderId, 'a.jpg')).toMatchObject({ facts: { size: 250 } });
    // The panel moves on and back (the file rewritten meanwhile): read again.
    facts.of('panel', folderId, 'b.jpg');
    size = 300;
    expect(facts.of('panel', folderId, 'a.jpg')).toMatchObject({ facts: { size: 250 } });
    await tick();
    expect(facts.of('panel', folderId, 'a.jpg')).toMatchObject({ facts: { size: 300 } });
    expect(api.requests('imageFacts').map((r) => r.id)).toEqual(['a.jpg', 'a.jpg', 'b.jpg', 'a.jpg']);
  });

  it('says "unknown" with main\'s reason when the file cannot be read, and forgets everything on clear', async () => {
    const api = fakeApi({ imageFacts: () => Promise.reject(appError('not_found', '"a.jpg" is no longer in the folder. Rescan the folder.')) });
    const facts = new ImageFactsStore(api);
    facts.of('panel', folderId, 'a.jpg');
    await tick();
    const failed = facts.of('panel', folderId, 'a.jpg');
    expect(failed).toEqual({ state: 'failed', message: '"a.jpg" is no longer in the folder. Rescan the folder.' });
    expect(sizeText(failed)).toBe('unknown');
    api.handle('imageFacts', () => ({ size: 5, mtimeMs: 6 }));
    facts.clear();
    expect(facts.of('panel', folderId, 'a.jpg')).toEqual({ state: 'reading' });
    await tick();
    expect(facts.of('panel', folderId, 'a.jpg')).toMatchObject({ state: 'read', facts: { size: 5 } });
  });
});
