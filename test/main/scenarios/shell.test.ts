import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipcName } from '../../../app/contract';
import { droppedChannel } from '../../../app/ipc-names';
import type { ElectronRecord, FakeWindow } from '../../support/electron-stand-in';

// The real main/index.ts, bundled as it ships but with Electron replaced by a recording stand-in
// (the binary cannot be installed here): the window's security settings, the app:// protocol, the
// IPC sender check and the navigation guards are those of the shipped shell. It runs as an installed
// app (`app.isPackaged`), as users get it.
// vitest: own process — the shell sets process.env and process-wide handlers as it starts.

const out = resolve('.cache/shell-test');
let record: ElectronRecord;
let window: FakeWindow;
let dataDir: string;
let folder: string;

beforeAll(async () => {
  await rm(out, { recursive: true, force: true });
  await mkdir(join(out, 'main'), { recursive: true });
  await mkdir(join(out, 'renderer'), { recursive: true });
  await writeFile(join(out, 'renderer', 'index.html'), '<!doctype html><title>Classify Desk</title>');
  await writeFile(join(out, 'main', 'preload.cjs'), '');
  await build({
    entryPoints: ['main/index.ts'],
    outfile: join(out, 'main', 'index.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    external: ['sharp', '@github/keytar'],
    alias: { electron: './test/support/electron-stand-in.ts', 'electron-store': './test/support/electron-store-stand-in.ts' },
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
    logLevel: 'error',
  });
  dataDir = await mkdtemp(join(tmpdir(), 'cd-shell-data-'));
  folder = await mkdtemp(join(tmpdir(), 'cd-shell-folder-'));
  await sharp({ create: { width: 40, height: 30, channels: 3, background: '#c00' } }).jpeg().toFile(join(folder, 'red.jpg'));
  process.env.CLASSIFY_DESK_HOME = dataDir;
  process.env.ELECTRON_STAND_IN_PACKAGED = '1';
  await import(pathToFileURL(join(out, 'main', 'index.mjs')).href);
  record = (globalThis as unknown as { __electron: ElectronRecord }).__electron;
  record.ready();
  for (let i = 0; i < 200 && record.windows.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
  window = record.windows[0];
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await rm(folder, { recursive: true, force: true });
});

const appOrigin = 'app://classify-desk';
const invoke = (name: string, payload: unknown, senderUrl = `${appOrigin}/index.html`) => {
  const handler = record.ipcHandlers.get(ipcName(name as never));
  if (!handler) throw new Error(`no handler for ${name}`);
  const frame = { url: senderUrl };
  return handler({ senderFrame: frame, sender: { mainFrame: frame } }, payload) as Promise<{ ok: boolean; value?: unknown; error?: { code: string } }>;
};

describe('Electron shell (main/index.ts)', () => {
  it('keeps the data dir where CLASSIFY_DESK_HOME says', () => {
    expect(record.paths.get('userData')).toBe(resolve(dataDir));
  });

  it('keeps config.json private to the user (0600), as the plain-Node settings store does', async () => {
    const answer = await invoke('setSettings', { threshold: 0.55 });
    expect(answer.ok).toBe(true);
    if (process.platform !== 'win32') expect((await stat(join(dataDir, 'config.json'))).mode & 0o777).toBe(0o600);
  });

  it('opens one window with the security settings of DESIGN.md §3, from the app:// origin', () => {
    expect(record.windows).toHaveLength(1);
    const prefs = window.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(String(prefs.preload)).toMatch(/preload\.cjs$/);
    expect(window.loaded).toBe(`${appOrigin}/index.html`);
    expect(record.privileged).toEqual([expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) })]);
  });

  it('denies new windows, navigation, webviews and permission requests', () => {
    expect(window.webContents.windowOpenHandler?.({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      let prevented = false;
      window.webContents.emit(event, { preventDefault: () => (prevented = true) }, 'https://example.com');
      expect(prevented, event).toBe(true);
    }
    let granted: boolean | undefined;
    record.permissionHandler?.({}, 'media', (allow: boolean) => (granted = allow));
    expect(granted).toBe(false);
    // Without a check handler Electron answers permission checks (navigator.permissions,
    // clipboard-read, ...) with "granted" for the app's own origin.
    expect(record.permissionCheckHandler).toBeTypeOf('function');
    for (const permission of ['clipboard-read', 'media', 'notifications', 'geolocation']) {
      expect(record.permissionCheckHandler?.(null, permission, appOrigin, {}), permission).toBe(false);
    }
  });

  it('gives the installed app no DevTools: not in the window, not in the menu', () => {
    const prefs = window.options.webPreferences as Record<string, unknown>;
    expect(prefs.devTools).toBe(false);
    expect(record.menuSet).toBeGreaterThan(0);
    const roles: string[] = [];
    const walk = (items: unknown) => {
      for (const item of (items as Array<{ role?: string; submenu?: unknown }>) ?? []) {
        if (item.role) roles.push(item.role.toLowerCase());
        if (Array.isArray(item.submenu)) walk(item.submenu);
      }
    };
    walk(record.menu);
    expect(roles).toContain('zoomin');
    // The built-in View role brings "Toggle Developer Tools" (Ctrl+Shift+I) and reload with it.
    for (const role of ['toggledevtools', 'viewmenu', 'reload', 'forcereload']) expect(roles).not.toContain(role);
  });

  it('serves the renderer with a strict CSP and refuses paths outside it', async () => {
    const serve = record.protocolHandlers.get('app');
    expect(serve).toBeDefined();
    const page = await serve!(new Request(`${appOrigin}/index.html`));
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-eval|https?:/);
    const escape = await serve!(new Request(`${appOrigin}/%2e%2e/%2e%2e/package.json`));
    expect(escape.status).toBe(404);
  });

  it('answers IPC from its own page, validates payloads, and refuses other senders', async () => {
    const info = await invoke('appInfo', {});
    expect(info).toMatchObject({ ok: true, value: { shell: 'electron' } });
    const foreign = await invoke('appInfo', {}, 'https://evil.example/');
    expect(foreign).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const bad = await invoke('openFolder', { path: 42 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it('opens only folders the person chose: a page-named folder is refused, a dropped one (path from the preload) opens', async () => {
    const named = await invoke('openFolder', { path: folder });
    expect(named).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringContaining('only folders you chose') } });
    const drop = record.ipcHandlers.get(droppedChannel);
    expect(drop, 'the preload-only drop channel').toBeDefined();
    // The drop channel is not on the page's contract and answers only our own page.
    expect(ipcName('dropped' as never)).not.toBe(droppedChannel);
    const foreignFrame = { url: 'https://evil.example/' };
    expect(await drop!({ senderFrame: foreignFrame, sender: { mainFrame: foreignFrame } }, folder)).toBe('');
    expect(await invoke('openFolder', { path: folder })).toMatchObject({ ok: false });
    const frame = { url: `${appOrigin}/index.html` };
    expect(await drop!({ senderFrame: frame, sender: { mainFrame: frame } }, folder)).toBe(folder);
  });

  it('opens a folder over IPC and serves its thumbnail through the media scheme', async () => {
    const opened = await invoke('openFolder', { path: folder });
    expect(opened.ok).toBe(true);
    const { folderId } = opened.value as { folderId: string };
    let thumb: Response | undefined;
    for (let i = 0; i < 100; i++) {
      thumb = await record.protocolHandlers.get('app')!(new Request(`${appOrigin}/media/thumb/${folderId}/red.jpg?s=64`));
      if (thumb.status === 200) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(thumb?.status).toBe(200);
    expect(thumb?.headers.get('content-type')).toMatch(/^image\//);
    const sent = window.webContents.sent.map(([channel]) => channel);
    expect(sent).toContain(ipcName('scanBatch'));

    // The page cannot choose where an export is written: the OS dialog does (cancelled here).
    const target = join(dataDir, 'chosen-by-page.json');
    const exported = await invoke('exportResults', { folderId, format: 'json', path: target });
    expect(exported).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await invoke('exportResults', { folderId, format: 'json' })).toEqual({ ok: true, value: null });
    expect(existsSync(target)).toBe(false);
    // A cancelled file dialog chooses no labels CSV.
    expect(await invoke('pickLabelsCsv', {})).toEqual({ ok: true, value: null });
  });
});
