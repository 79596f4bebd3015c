import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';
import type { SettingsPatch } from '../../app/settings';
import { startHost, type Host, type HostOptions } from '../host/host';
import { defaultPeerKey, startPeer, type Peer, type PeerOptions } from '../peer/server';
import { closeContexts, sharedChromium } from '../support/chromium';
import { startKeyring, type Keyring } from '../support/keyring';
import { ui } from './app-page';
import { assertRendererBuilt, openTrackedPage, solidImage } from './fixtures';

// The stage most end-to-end tests share: the Roboflow test peer, an image folder, the browser host
// over a fresh data and export dir, Chromium and one tracked page, and optionally a real keyring.
// The test keeps its own images, settings and restarts; the scene only starts and stops the parts.

export interface SceneOptions {
  /** Temp dir prefix: cd-<name>-, cd-<name>-data-, cd-<name>-export-. */
  name: string;
  peer?: PeerOptions;
  /** A real keychain (process.env points at it), for keys that must survive a host restart. */
  keyring?: boolean;
  /** Fills the image folder. */
  folder: (dir: string) => Promise<void>;
  /** The host's settings at first start. */
  settings: (peer: Peer) => SettingsPatch;
  /** Console errors that are not problems (default: resources failing to load). */
  ignoreConsole?: (message: ConsoleMessage) => boolean;
  /** Pages for accessibility checks (axe injected by the test): the test browser ignores the page's CSP; the app keeps it. */
  bypassCSP?: boolean;
}

export interface Scene {
  peer: Peer;
  host: Host;
  browser: Browser;
  /** The first page, opened at start. */
  page: Page;
  /** Page errors and console errors of every page the scene opened. */
  problems: string[];
  folder: string;
  dataDir: string;
  exportDir: string;
  /** A new tracked page on the current host. */
  openPage(): Promise<Page>;
  /** Closes the host and starts it again on the same data, folder and export dir (settings come from disk). */
  restartHost(extra?: Pick<HostOptions, 'pickFolder' | 'pickFile'>): Promise<Host>;
  /** Starts the peer again on its port, with its options (after the test closed it). */
  restartPeer(): Promise<Peer>;
  close(): Promise<void>;
}

/** Starts peer, folder, host, Chromium and a page (missing Chromium or keyring pieces throw); on failure stops what started. */
export async function startScene(opts: SceneOptions): Promise<Scene> {
  assertRendererBuilt();
  let keyring: Keyring | undefined;
  const dirs: string[] = [];
  const tempDir = async (suffix: string) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), `cd-${opts.name}-${suffix}`));
    dirs.push(dir);
    return dir;
  };
  const scene = { problems: [] as string[] } as Scene;
  scene.close = async () => {
    if (scene.browser) await closeContexts(scene.browser);
    await scene.host?.close();
    await scene.peer?.close().catch(() => undefined);
    await keyring?.stop();
    // Retries: a write the host had under way when it closed may still land in a folder being removed.
    for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    if (opts.keyring) {
      keyring = await startKeyring();
      Object.assign(process.env, keyring.env);
    }
    scene.peer = await startPeer(opts.peer);
    const peerPort = Number(new URL(scene.peer.url).port);
    scene.folder = await tempDir('');
    await opts.folder(scene.folder);
    scene.dataDir = await tempDir('data-');
    scene.exportDir = await tempDir('export-');
    const { folder, dataDir, exportDir } = scene;
    scene.host = await startHost({ dataDir, folder, exportDir, settings: opts.settings(scene.peer) });
    scene.browser = await sharedChromium();
    scene.openPage = () => openTrackedPage(scene.browser, scene.host.url, scene.problems, opts.ignoreConsole, opts.bypassCSP ? { bypassCSP: true } : {});
    scene.restartHost = async (extra = {}) => {
      await scene.host.close();
      scene.host = await startHost({ dataDir, folder, exportDir, ...extra });
      return scene.host;
    };
    scene.restartPeer = async () => (scene.peer = await startPeer({ ...opts.peer, port: peerPort }));
    scene.page = await scene.openPage();
    return scene;
  } catch (error) {
    await scene.close().catch(() => undefined);
    throw error;
  }
}

/** One image each the peer's colors/1 model calls red, blue and green, named in that order. */
export const threeColours: Array<[rel: string, rgb: [number, number, number]]> = [
  ['a-red.png', [230, 30, 30]],
  ['b-blue.png', [30, 40, 220]],
  ['c-green.png', [40, 200, 50]],
];

export interface ColourSceneOptions {
  name: string;
  /** Relative path and colour of each image (a solid PNG the peer's colors/1 model classifies). */
  images: ReadonlyArray<readonly [rel: string, rgb: readonly [number, number, number]]>;
  /** Width and height of every image (default 48 × 48). */
  size?: readonly [number, number];
  /** More first settings (a threshold, …). */
  settings?: SettingsPatch;
}

/**
 * The scene the feature specs start from: a folder of solid-colour images, the peer as a self-hosted
 * endpoint with colors/1, a session-only key, the grid shown; axe may be injected (bypassCSP).
 */
export async function startColourScene(opts: ColourSceneOptions): Promise<Scene> {
  const [width, height] = opts.size ?? [48, 48];
  const scene = await startScene({
    name: opts.name,
    bypassCSP: true,
    folder: async (folder) => {
      for (const [rel, rgb] of opts.images) {
        await mkdir(path.dirname(path.join(folder, rel)), { recursive: true });
        await solidImage(width, height, [...rgb]).png().toFile(path.join(folder, rel));
      }
    },
    settings: (peer) => ({ platformApiUrl: peer.url, endpointKind: 'self-hosted', endpointUrl: peer.url, model: 'colors/1', ...opts.settings }),
    ignoreConsole: (message) => message.location().url.endsWith('/favicon.ico'),
  });
  try {
    await ui(scene.page).tiles.first().waitFor({ timeout: 10_000 });
    await scene.page.evaluate((key) => window.api.setApiKey({ key, sessionOnly: true }), defaultPeerKey);
    return scene;
  } catch (error) {
    await scene.close().catch(() => undefined);
    throw error;
  }
}
