import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FolderGroundTruth } from '../../../app/eval-report';
import { dispatch } from '../../../main/handlers';
import { startApp, type App } from '../../support/app-harness';
import { writeColourImages } from '../../support/colour-images';

// Files main reads or writes for the page come from main's own dialogs. A compromised page (or,
// through the browser host, anyone who can post to it) naming a path must not read a file's lines
// back as "ground-truth problems", nor write an export where it likes.

let tmp: string;
let folder: string;
let app: App;
let secret: string;

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-page-paths-'));
  folder = path.join(tmp, 'photos');
  await writeColourImages(folder, 2);
  secret = path.join(tmp, 'private', 'notes.csv');
  await fs.mkdir(path.dirname(secret), { recursive: true });
  await fs.writeFile(secret, 'path,label\nmy bank pin is 4321,cat\n');
  app = await startApp({ dataDir: path.join(tmp, 'data') });
  await app.call('setSettings', { endpointKind: 'self-hosted', endpointUrl: 'http://127.0.0.1:9', model: 'colors/1' });
});

afterEach(async () => {
  await app.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('paths the page names', () => {
  it('reads a labels CSV only when the person chose it in main’s file dialog', async () => {
    const folderId = await app.open(folder);
    const stolen = await dispatch(app.handlers, 'groundTruth', { folderId, labelsPath: secret });
    expect(stolen).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(JSON.stringify(stolen)).not.toContain('bank pin');
    expect(await dispatch(app.handlers, 'exportEvaluation', { folderId, kind: 'report', labelsPath: secret })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });

    // Chosen in the dialog, the same file is read.
    app.answers.file = secret;
    expect(await app.call('pickLabelsCsv')).toBe(secret);
    const chosen = await app.call<FolderGroundTruth>('groundTruth', { folderId, labelsPath: secret });
    expect(chosen.groundTruth.source).toBe('csv');

    // Remembered by main across a restart (the window keeps the path it was given).
    await app.close();
    app = await startApp({ dataDir: path.join(tmp, 'data') });
    const again = await app.open(folder);
    expect((await app.call<FolderGroundTruth>('groundTruth', { folderId: again, labelsPath: secret })).groundTruth.source).toBe('csv');
    // The list is main's own: no settings patch can add to it.
    expect(await dispatch(app.handlers, 'setSettings', { chosenFiles: ['/etc/passwd'] })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it('writes exports only where main’s save dialog answers, never at a path in the request', async () => {
    const folderId = await app.open(folder);
    const planted = path.join(tmp, 'planted.json');
    for (const [channel, payload] of [
      ['exportResults', { folderId, format: 'json', path: planted }],
      ['exportEvaluation', { folderId, kind: 'report', path: planted }],
    ] as const) {
      expect(await dispatch(app.handlers, channel, payload)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    }
    expect(existsSync(planted)).toBe(false);
    app.answers.exportPath = path.join(tmp, 'chosen.json');
    expect(await app.call('exportResults', { folderId, format: 'json' })).toMatchObject({ path: path.join(tmp, 'chosen.json') });
    expect(existsSync(planted)).toBe(false);
  });

  it('tells an image’s size and date only for images inside an opened folder, read from the disk now', async () => {
    const folderId = await app.open(folder);
    const image = path.join(folder, 'img-0001.jpg');
    const st = await fs.stat(image);
    expect(await app.call('imageFacts', { folderId, id: 'img-0001.jpg' })).toEqual({ size: st.size, mtimeMs: st.mtimeMs });
    // Rewritten since the folder was read: the details say what is on the disk now.
    await fs.writeFile(image, Buffer.alloc(st.size + 100));
    expect(await app.call('imageFacts', { folderId, id: 'img-0001.jpg' })).toMatchObject({ size: st.size + 100 });

    // Anything else the page could name: another file beside the folder, by `..`, by an absolute
    // path, through a link that leads out, a non-image, or a folder never opened. No size leaks.
    await fs.symlink(secret, path.join(folder, 'leak.jpg'));
    await fs.copyFile(secret, path.join(tmp, 'private', 'notes.jpg'));
    for (const [id, code] of [['../private/notes.jpg', 'invalid_input'], [path.join(tmp, 'private', 'notes.jpg'), 'invalid_input'], ['leak.jpg', 'invalid_input'], ['notes.csv', 'invalid_input']] as const) {
      const answer = await dispatch(app.handlers, 'imageFacts', { folderId, id });
      expect(answer, id).toMatchObject({ ok: false, error: { code } });
      expect(JSON.stringify(answer)).not.toContain(String((await fs.stat(secret)).size));
    }
    expect(await dispatch(app.handlers, 'imageFacts', { folderId: '0123456789abcdef', id: 'img-0001.jpg' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    // Gone since: a plain error that says what to do.
    await fs.rm(image);
    expect(await dispatch(app.handlers, 'imageFacts', { folderId, id: 'img-0001.jpg' })).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringContaining('Rescan') } });
  });
});
