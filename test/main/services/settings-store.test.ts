import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { normaliseSettings } from '../../../app/settings';
import { createSettingsStore } from '../../../main/services/settings-store';
import { removeDir, tempDir } from '../../support/service-fixtures';

let dir: string | undefined;
afterEach(async () => {
  await removeDir(dir);
  dir = undefined;
});

async function dataDir(): Promise<string> {
  dir = await tempDir();
  return dir;
}

describe('settings store', () => {
  it('starts from defaults and persists updates in <dataDir>/config.json', async () => {
    const d = await dataDir();
    const store = createSettingsStore({ dataDir: d });
    expect(store.get()).toEqual(normaliseSettings({}));
    expect(store.path).toBe(path.join(d, 'config.json'));
    const next = store.update({ concurrency: 3, model: 'colors/1', tileSize: 256 });
    expect(next).toMatchObject({ concurrency: 3, model: 'colors/1', tileSize: 256 });
    const again = createSettingsStore({ dataDir: d });
    expect(again.get()).toEqual(next);
    expect(JSON.parse(await fs.readFile(path.join(d, 'config.json'), 'utf8'))).toMatchObject({ concurrency: 3, model: 'colors/1' });
  });

  it('refuses invalid patches and keeps the previous values', async () => {
    const store = createSettingsStore({ dataDir: await dataDir() });
    store.update({ concurrency: 4 });
    expect(() => store.update({ concurrency: 999 })).toThrow(/concurrency/);
    expect(() => store.update({ apiKey: 'rf_secret' } as never)).toThrow();
    expect(store.get().concurrency).toBe(4);
  });

  it('validates what the page sets: model ids are project/version, URLs http(s) only, strings of sane length', async () => {
    const store = createSettingsStore({ dataDir: await dataDir() });
    store.update({ endpointKind: 'self-hosted', endpointUrl: 'http://localhost:9001', model: 'colors/1' });
    const refused: Array<[Record<string, unknown>, RegExp]> = [
      [{ model: 'not a model' }, /project\/version/],
      [{ model: `${'a'.repeat(300)}/1` }, /200 characters/],
      [{ compareModel: '../../etc/1' }, /project\/version/],
      [{ endpointUrl: 'file:///etc/passwd' }, /http:\/\/ or https:\/\//],
      [{ endpointUrl: 'javascript:alert(1)' }, /http:\/\/ or https:\/\//],
      [{ endpointUrl: 'http://user:pw@evil.example' }, /no user name/],
      [{ endpointUrl: `https://x.example/${'a'.repeat(3000)}` }, /too long/],
      [{ platformApiUrl: 'ftp://api.roboflow.com' }, /http:\/\/ or https:\/\//],
      [{ platformApiUrl: '' }, /platform API URL/],
      [{ profile: 'x'.repeat(65) }, /profile/],
      [{ profile: 'a/../../b' }, /profile name/],
    ];
    for (const [patch, message] of refused) expect(() => store.update(patch as never), JSON.stringify(patch).slice(0, 80)).toThrow(message);
    expect(store.get()).toMatchObject({ endpointUrl: 'http://localhost:9001', model: 'colors/1', compareModel: '', platformApiUrl: 'https://api.roboflow.com', profile: 'default' });
    expect(store.update({ endpointUrl: '', model: ' birds/7 ' })).toMatchObject({ endpointUrl: '', model: 'birds/7' });
  });

  it('keeps at most ten recent folders, newest first, without duplicates, and the last folder', async () => {
    const store = createSettingsStore({ dataDir: await dataDir() });
    let changes = 0;
    store.onRecentChange(() => changes++);
    for (let i = 0; i < 12; i++) store.rememberFolder(`/photos/${i}`);
    store.rememberFolder('/photos/5');
    const s = store.get();
    expect(s.recentFolders).toEqual(['/photos/5', '/photos/11', '/photos/10', '/photos/9', '/photos/8', '/photos/7', '/photos/6', '/photos/4', '/photos/3', '/photos/2']);
    expect(s.lastFolder).toBe('/photos/5');
    expect(changes).toBe(13);
    store.rememberFolder('/photos/5');
    expect(changes).toBe(13);
  });

  it('repairs a broken or hand-edited file and drops fields it does not know (no secret survives)', async () => {
    const d = await dataDir();
    await fs.writeFile(path.join(d, 'config.json'), JSON.stringify({ concurrency: 'lots', threshold: 0.7, apiKey: 'rf_leaked_key_123' }));
    const store = createSettingsStore({ dataDir: d });
    expect(store.get()).toMatchObject({ concurrency: 8, threshold: 0.7 });
    store.update({ recursive: false });
    const raw = await fs.readFile(path.join(d, 'config.json'), 'utf8');
    expect(raw).not.toContain('rf_leaked_key_123');
    expect(JSON.parse(raw)).toMatchObject({ recursive: false, threshold: 0.7, concurrency: 8 });

    await fs.writeFile(path.join(d, 'config.json'), '{ not json');
    expect(createSettingsStore({ dataDir: d }).get()).toEqual(normaliseSettings({}));
  });

  it('sees what another process writes to the same file, without re-reading an unchanged one', async () => {
    const d = await dataDir();
    const app = createSettingsStore({ dataDir: d });
    const first = app.get();
    expect(app.get()).toBe(first);
    // The CLI is another store on the same file.
    createSettingsStore({ dataDir: d }).update({ model: 'birds/7', concurrency: 3 });
    expect(app.get()).toMatchObject({ model: 'birds/7', concurrency: 3 });
    // And a hand edit, even one that keeps the size.
    const file = path.join(d, 'config.json');
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.replace('birds/7', 'birds/8'));
    await fs.utimes(file, new Date(), new Date(Date.now() + 5_000));
    expect(app.get().model).toBe('birds/8');
  });

  it('remembers the window state and ignores one below the minimum size', async () => {
    const store = createSettingsStore({ dataDir: await dataDir() });
    expect(store.getWindowState()).toBeUndefined();
    store.setWindowState({ x: 10, y: 20, width: 1200, height: 800, maximized: true });
    store.setWindowState({ width: 10, height: 10, maximized: false });
    expect(store.getWindowState()).toEqual({ x: 10, y: 20, width: 1200, height: 800, maximized: true });
  });
});
