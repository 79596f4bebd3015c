import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { correctionsFolderId, useCorrections } from '../../support/corrections-harness';

const folderId = correctionsFolderId;
const { service, journalPath, dataDir } = useCorrections('cd-corrections-');

describe('corrections', () => {
  it('stores label, reviewed and flagged per image and merges patches', async () => {
    const s = service();
    expect(await s.list(folderId)).toEqual({ items: [], canUndo: false, canRedo: false });
    await s.set(folderId, ['a.jpg'], { label: 'cat' });
    const change = await s.set(folderId, ['a.jpg', 'b.jpg'], { reviewed: true });
    expect(change.changed.map((c) => [c.id, c.label, c.reviewed])).toEqual([['a.jpg', 'cat', true], ['b.jpg', null, true]]);
    await s.set(folderId, ['b.jpg'], { flagged: true });
    const { items } = await s.list(folderId);
    expect(items).toEqual([
      { id: 'a.jpg', label: 'cat', reviewed: true, flagged: false, at: '2025-01-01T00:00:01.000Z' },
      { id: 'b.jpg', label: null, reviewed: true, flagged: true, at: '2025-01-01T00:00:02.000Z' },
    ]);
    expect(await s.labels(folderId)).toEqual(new Map([['a.jpg', 'cat']]));
    const lookup = await s.lookup(folderId);
    expect(lookup('b.jpg')?.flagged).toBe(true);
    expect(lookup('zzz.jpg')).toBeUndefined();
    await s.set(folderId, ['c.jpg'], { flagged: true });
    const review = await s.review(folderId);
    expect(review('a.jpg')).toEqual({ reviewed_label: 'cat', reviewed_at: '2025-01-01T00:00:01.000Z', flagged: false });
    // A flag alone is not a review.
    expect(review('c.jpg')).toEqual({ reviewed_label: null, reviewed_at: null, flagged: true });
    expect(review('zzz.jpg')).toBeUndefined();
  });

  it('undoes and redoes whole steps, and a new change clears the redo stack', async () => {
    const s = service();
    await s.set(folderId, ['a.jpg'], { label: 'cat' });
    await s.set(folderId, ['a.jpg', 'b.jpg'], { label: 'dog' });
    const undone = await s.undo(folderId);
    expect(undone.changed.map((c) => [c.id, c.label])).toEqual([['b.jpg', null], ['a.jpg', 'cat']]);
    expect(undone).toMatchObject({ canUndo: true, canRedo: true });
    expect(await s.labels(folderId)).toEqual(new Map([['a.jpg', 'cat']]));
    await s.redo(folderId);
    expect(await s.labels(folderId)).toEqual(new Map([['a.jpg', 'dog'], ['b.jpg', 'dog']]));
    await s.undo(folderId);
    await s.undo(folderId);
    expect((await s.list(folderId)).items).toEqual([]);
    expect(await s.undo(folderId)).toEqual({ changed: [], canUndo: false, canRedo: true });
    await s.redo(folderId);
    await s.set(folderId, ['c.jpg'], { flagged: true });
    expect(await s.redo(folderId)).toEqual({ changed: [], canUndo: true, canRedo: false });
    expect(await s.labels(folderId)).toEqual(new Map([['a.jpg', 'cat']]));
  });

  it('records a step that changes nothing as no step at all', async () => {
    const s = service();
    await s.set(folderId, ['a.jpg'], { label: 'cat' });
    expect((await s.set(folderId, ['a.jpg'], { label: 'cat' })).changed).toEqual([]);
    await s.undo(folderId);
    expect((await s.list(folderId)).canUndo).toBe(false);
  });

  it('survives a restart with its state and its undo/redo stacks', async () => {
    const first = service();
    await first.set(folderId, ['a.jpg'], { label: 'cat' });
    await first.set(folderId, ['a.jpg'], { label: 'dog', reviewed: true });
    await first.set(folderId, ['b.jpg'], { flagged: true });
    await first.undo(folderId);
    await first.close();
    const second = service();
    expect(await second.list(folderId)).toEqual({
      items: [{ id: 'a.jpg', label: 'dog', reviewed: true, flagged: false, at: '2025-01-01T00:00:01.000Z' }],
      canUndo: true,
      canRedo: true,
    });
    await second.redo(folderId);
    expect((await second.lookup(folderId))('b.jpg')?.flagged).toBe(true);
    await second.undo(folderId);
    await second.undo(folderId);
    expect(await second.labels(folderId)).toEqual(new Map([['a.jpg', 'cat']]));
    // The correction lives in the data dir, never in the image folder, and each change is a line.
    const text = await fs.readFile(journalPath(), 'utf8');
    expect(text.trim().split('\n')).toHaveLength(7);
  });

  it('ignores a torn last line and keeps appending on a fresh line', async () => {
    const s = service();
    await s.set(folderId, ['a.jpg'], { label: 'cat' });
    await s.close();
    await fs.appendFile(journalPath(), '{"seq":1,"step":1,"op":"set","id":"b.jpg","label":"do');
    const again = service();
    expect(await again.labels(folderId)).toEqual(new Map([['a.jpg', 'cat']]));
    await again.set(folderId, ['c.jpg'], { label: 'dog' });
    await again.close();
    const text = await fs.readFile(journalPath(), 'utf8');
    for (const line of text.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect(await service().labels(folderId)).toEqual(new Map([['a.jpg', 'cat'], ['c.jpg', 'dog']]));
  });

  it('keeps every completed change when the writer is killed with SIGKILL', async () => {
    const script = path.join(dataDir(), 'writer.mts');
    const modulePath = path.resolve('main/services/corrections.ts');
    await fs.writeFile(
      script,
      `import { createCorrections } from ${JSON.stringify(modulePath)};\n` +
        `const s = createCorrections({ dataDir: ${JSON.stringify(dataDir())} });\n` +
        `for (let i = 0; ; i++) { await s.set('${folderId}', ['img' + i + '.jpg'], { label: 'c' + i }); if (i === 50) process.stdout.write('ready\\n'); }\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const labels = await service().labels(folderId);
    expect(labels.size).toBeGreaterThan(50);
    // Changes are a gap-free prefix of what the writer did.
    for (let i = 0; i < labels.size; i++) expect(labels.get(`img${i}.jpg`)).toBe(`c${i}`);
  });

  it('refuses a folder id that could escape the data dir', async () => {
    await expect(service().list('../x')).rejects.toThrow(/Bad folder id/);
  });
});
