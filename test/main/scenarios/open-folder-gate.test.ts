import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fullUrl } from '../../../app/media-urls';
import type { FolderInfo } from '../../../app/types';
import { dispatch } from '../../../main/handlers';
import { folderIdOf } from '../../../main/services/library';
import { startApp, type App } from '../../support/app-harness';
import { writeColourImages } from '../../support/colour-images';

// The page may be compromised, and an open folder lets the media route serve every image in it:
// main opens only folders the person chose (its dialog, a drop, the command line, recent folders),
// never one the page merely names.

let tmp: string;
let dataDir: string;
let secret: string;
let chosen: string;
let app: App | null = null;

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-folder-gate-'));
  dataDir = path.join(tmp, 'data');
  secret = path.join(tmp, 'private-photos');
  chosen = path.join(tmp, 'chosen');
  await writeColourImages(secret, 1, { prefix: 'secret' });
  await writeColourImages(chosen, 1);
});

afterEach(async () => {
  await app?.close();
  app = null;
  await fs.rm(tmp, { recursive: true, force: true });
});

const media = (a: App, folderId: string, id: string) => a.services.media(new Request(`app://classify-desk/${fullUrl(folderId, id)}`));

describe('openFolder opens only folders the person chose', () => {
  it('refuses a folder the page names, with a clear error, and its images are never served', async () => {
    app = await startApp({ dataDir });
    const answer = await dispatch(app.handlers, 'openFolder', { path: secret, recursive: true });
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringContaining('opens only folders you chose') } });
    // What a page would ask the media route for, had the folder opened.
    const folderId = folderIdOf(await fs.realpath(secret));
    expect((await media(app, folderId, 'secret-0000.jpg')).status).not.toBe(200);
    // A cancelled dialog chooses nothing, and the refusal did not make it recent.
    expect(await app.call('pickFolder')).toBeNull();
    expect(await dispatch(app.handlers, 'openFolder', { path: secret })).toMatchObject({ ok: false });
    expect(await app.call('recentFolders')).toEqual([]);
  });

  it("opens the folder main's dialog answered, and serves its images", async () => {
    app = await startApp({ dataDir });
    app.answers.folder = chosen;
    expect(await app.call('pickFolder')).toBe(chosen);
    const info = await app.call<FolderInfo>('openFolder', { path: chosen });
    await app.until(() => app!.events.some((e) => e.event === 'scanDone'));
    expect((await media(app, info.folderId, 'img-0000.jpg')).status).toBe(200);
    // Choosing one folder does not open another.
    expect(await dispatch(app.handlers, 'openFolder', { path: secret })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it('opens the command-line folder, then the recent and last folders in the next session', async () => {
    app = await startApp({ dataDir, initialFolder: chosen });
    expect(await app.call('initialFolder')).toBe(chosen);
    const info = await app.call<FolderInfo>('openFolder', { path: chosen });
    await app.close();
    app = await startApp({ dataDir });
    expect(await app.call('recentFolders')).toEqual([info.root]);
    expect(await app.call('initialFolder')).toBe(info.root);
    await expect(app.call<FolderInfo>('openFolder', { path: info.root })).resolves.toMatchObject({ folderId: info.folderId });
    expect(await dispatch(app.handlers, 'openFolder', { path: secret })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it("opens main's own start folder in one request that names no path, and nothing when there is none", async () => {
    app = await startApp({ dataDir });
    expect(await app.call('openStartFolder')).toBeNull();
    expect(app.events.some((e) => e.event === 'scanBatch')).toBe(false);
    // A request that tries to name one is refused by its schema.
    expect(await dispatch(app.handlers, 'openStartFolder', { path: secret })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    await app.close();
    app = await startApp({ dataDir, initialFolder: chosen });
    const info = await app.call<FolderInfo>('openStartFolder');
    expect(info).toMatchObject({ folderId: folderIdOf(await fs.realpath(chosen)) });
    await app.until(() => app!.events.some((e) => e.event === 'scanDone'));
    expect((await media(app, info.folderId, 'img-0000.jpg')).status).toBe(200);
    expect(await app.call('recentFolders')).toEqual([info.root]);
  });

  it('a drop the page fakes (a { name, path } object, a string) opens nothing and chooses no file', async () => {
    app = await startApp({ dataDir });
    // The preload answers such values with '' and sends main nothing (test/main/preload.test.ts);
    // the page's next move, naming the path itself, meets the same gate as any named folder.
    const faked = { name: 'private-photos', path: secret };
    expect(await dispatch(app.handlers, 'openFolder', { path: faked.path, recursive: true })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect((await media(app, folderIdOf(await fs.realpath(secret)), 'secret-0000.jpg')).status).not.toBe(200);
    // Nor does a value main hears that is no absolute path to something that exists.
    expect(await app.services.chooseDropped(faked)).toBe('');
    expect(await app.services.chooseDropped('../private-photos')).toBe('');
    const csv = path.join(secret, 'labels.csv');
    await fs.writeFile(csv, 'path,label\nsecret-0000.jpg,red\n');
    expect(app.services.ports.settings.isChosenFile(csv)).toBe(false);
    expect(await dispatch(app.handlers, 'openFolder', { path: secret })).toMatchObject({ ok: false });
    expect(await app.call('recentFolders')).toEqual([]);
  });

  it('opens a folder dropped on the window once the shell (not the page) handed main its path', async () => {
    app = await startApp({ dataDir });
    expect(await app.services.chooseDropped('relative/path')).toBe('');
    expect(await app.services.chooseDropped(path.join(tmp, 'missing'))).toBe('');
    expect(await app.services.chooseDropped(chosen)).toBe(chosen);
    await expect(app.call<FolderInfo>('openFolder', { path: chosen })).resolves.toMatchObject({ root: await fs.realpath(chosen) });
    // A dropped labels CSV counts as chosen like one from the file dialog.
    const csv = path.join(tmp, 'labels.csv');
    await fs.writeFile(csv, 'path,label\nimg-0000.jpg,red\n');
    expect(app.services.ports.settings.isChosenFile(csv)).toBe(false);
    expect(await app.services.chooseDropped(csv)).toBe(csv);
    expect(app.services.ports.settings.isChosenFile(csv)).toBe(true);
  });
});
