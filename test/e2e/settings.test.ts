import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '../host/host';
import { defaultPeerKey, startPeer, type Peer } from '../peer/server';
import { launchChromium } from '../support/chromium';
import { assertRendererBuilt, cellOf, configureInSettings, openTrackedPage, solidImage } from './fixtures';

// The "Running" settings a person needs when a server is old or slow: how the key is sent and the
// request timeout. Against a server that only reads the key from the URL (as servers before
// Roboflow Inference 1.5 do), "Authorization header only" stops the run with the 401 message, and
// switching to "URL (api_key) only" makes it work; both settings survive reopening the dialog.

let peer: Peer;
let browser: Browser;
let host: Host;
let page: Page;
let folder: string;
let dataDir: string;
const problems: string[] = [];

beforeAll(async () => {
  assertRendererBuilt();
  peer = await startPeer({ headerAuth: false });
  folder = await mkdtemp(path.join(os.tmpdir(), 'cd-settings-'));
  await solidImage(64, 64, [220, 20, 20]).png().toFile(path.join(folder, 'red.png'));
  await solidImage(64, 64, [20, 20, 220]).png().toFile(path.join(folder, 'blue.png'));
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-settings-data-'));
  host = await startHost({ dataDir, folder, settings: { platformApiUrl: peer.url } });
  browser = await launchChromium();
  page = await openTrackedPage(browser, host.url, problems);
  await page.getByRole('gridcell').first().waitFor();
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await peer?.close();
  for (const dir of [folder, dataDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

const settingsDialog = async () => {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  return page.getByRole('dialog', { name: 'Settings' });
};

describe('request settings', () => {
  it('sends the key only as the chosen authentication says, with a clear stop when the server refuses it', async () => {
    await configureInSettings(page, {
      url: peer.url,
      model: 'colors/1',
      key: defaultPeerKey,
      beforeSave: async (dialog) => {
        await dialog.getByLabel('Authentication').selectOption('bearer');
        await dialog.getByLabel('Request timeout').fill('7');
      },
    });
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.getByText('The run stopped').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.getByText('did not accept the API key (401)', { exact: false }).count()).toBe(1);

    const dialog = await settingsDialog();
    expect(await dialog.getByLabel('Authentication').inputValue()).toBe('bearer');
    expect(await dialog.getByLabel('Request timeout').inputValue()).toBe('7');
    await dialog.getByLabel('Authentication').selectOption('query');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => cellOf(page, 'red.png').getAttribute('aria-label'), { timeout: 20_000 }).toMatch(/^red\.png, red [<>]?\d+%/);
    await expect.poll(() => cellOf(page, 'blue.png').getAttribute('aria-label'), { timeout: 20_000 }).toMatch(/^blue\.png, blue [<>]?\d+%/);
    const saved = await page.evaluate(() => (window as unknown as { api: { getSettings(): Promise<{ authMode: string; timeoutMs: number }> } }).api.getSettings());
    expect(saved).toMatchObject({ authMode: 'query', timeoutMs: 7000 });
    expect(problems).toEqual([]);
  });
});
