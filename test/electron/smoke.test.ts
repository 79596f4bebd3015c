import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api } from '../../app/contract';
import { writeColourImages } from '../support/colour-images';
import { ensureBuilt } from '../package/build-package';
import { startKeyring, type Keyring } from '../support/keyring';

// The real app in the real Electron binary: `npm run test:electron` (the release workflow runs it on
// macOS, Windows and Linux, under xvfb-run on Linux). It cannot run where the binary is missing, and
// says so with the remedy instead of skipping.

const repo = resolve(__dirname, '../..');
const executables: Partial<Record<NodeJS.Platform, string>> = { darwin: 'Electron.app/Contents/MacOS/Electron', win32: 'electron.exe' };

function electronBinary(): string {
  const pkgDir = join(repo, 'node_modules/electron');
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const pathFile = join(pkgDir, 'path.txt');
  const binary = override
    ? join(override, executables[process.platform] ?? 'electron')
    : existsSync(pathFile)
      ? join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim())
      : '';
  if (!binary || !existsSync(binary)) {
    throw new Error('The Electron binary is not installed: run `node node_modules/electron/install.js` with internet access (or set ELECTRON_OVERRIDE_DIST_PATH).');
  }
  return binary;
}

type WindowWithApi = { api: Api };

let work: string;
let home: string;
let folder: string;
let keyring: Keyring | undefined;
const profile = `smoke-test-${process.pid}`;
const key = `smoke-key-${Date.now()}-wxyz`;

async function launch(): Promise<{ app: ElectronApplication; window: Page; errors: string[] }> {
  const app = await _electron.launch({
    executablePath: electronBinary(),
    args: [repo, folder],
    cwd: repo,
    // No key from the environment: the keychain must be what answers.
    env: { ...(process.env as Record<string, string>), ...(keyring?.env as Record<string, string>), CLASSIFY_DESK_HOME: home, ROBOFLOW_API_KEY: '' },
    timeout: 60_000,
  });
  const window = await app.firstWindow();
  const errors: string[] = [];
  window.on('pageerror', (error) => errors.push(error.message));
  return { app, window, errors };
}

/** Quits as a user does (app.quit) and returns how the process ended. */
async function quit(app: ElectronApplication): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = app.process();
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => done({ code, signal }));
  });
  // The reply may be lost when the process exits first; how it exited is what counts.
  await app.evaluate(({ app: electronApp }) => electronApp.quit()).catch(() => undefined);
  return ended;
}

beforeAll(async () => {
  electronBinary();
  ensureBuilt();
  work = await mkdtemp(join(tmpdir(), 'cd-electron-'));
  home = join(work, 'home');
  folder = join(work, 'photos');
  await writeColourImages(folder, 3);
  // Linux: a private Secret Service; macOS and Windows: the user's keychain, under a throw-away profile.
  if (process.platform === 'linux') keyring = await startKeyring();
}, 120_000);

afterAll(async () => {
  await keyring?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('Classify Desk in Electron', () => {
  it('opens its window from app://, answers over window.api, shows a folder, keeps a key in the keychain, and quits cleanly', async () => {
    const { app, window, errors } = await launch();
    try {
      expect(window.url()).toMatch(/^app:\/\/classify-desk\//);
      await window.waitForLoadState('domcontentloaded');
      expect(await window.evaluate(() => typeof (window as unknown as WindowWithApi).api)).toBe('object');
      const info = await window.evaluate(() => (window as unknown as WindowWithApi).api.appInfo({}));
      // CLASSIFY_DESK_HOME moved the data folder (compared by name: macOS may report /private/var for /var).
      expect(info).toMatchObject({ shell: 'electron', version: expect.any(String), dataDir: expect.stringMatching(/[\\/]home$/) });

      // The folder given on the command line opens: one cell per image, thumbnails decoded by sharp in Electron's Node.
      await expect.poll(() => window.getByRole('gridcell').count(), { timeout: 30_000 }).toBe(3);
      const decoded = () =>
        window.evaluate(() => [...document.querySelectorAll('img')].filter((img) => img.src.startsWith('app://') && img.complete && img.naturalWidth > 0).length);
      await expect.poll(decoded, { timeout: 30_000 }).toBeGreaterThan(0);

      // The key goes into the OS keychain (a throw-away profile, removed below).
      await window.evaluate((name) => (window as unknown as WindowWithApi).api.setSettings({ profile: name }), profile);
      const stored = await window.evaluate((secret) => (window as unknown as WindowWithApi).api.setApiKey({ key: secret }), key);
      expect(stored).toMatchObject({ profile, hasKey: true, backend: 'keychain', last4: key.slice(-4) });
      expect(errors).toEqual([]);
    } finally {
      expect(await quit(app)).toEqual({ code: 0, signal: null });
    }

    // A second start reads the key back from the keychain, then removes it.
    const again = await launch();
    try {
      const status = await again.window.evaluate(() => (window as unknown as WindowWithApi).api.credentialStatus({}));
      expect(status).toMatchObject({ profile, hasKey: true, backend: 'keychain', last4: key.slice(-4) });
      const removed = await again.window.evaluate(() => (window as unknown as WindowWithApi).api.deleteApiKey({}));
      expect(removed).toMatchObject({ profile, hasKey: false });
      expect(again.errors).toEqual([]);
    } finally {
      expect(await quit(again.app)).toEqual({ code: 0, signal: null });
    }
  });
});
