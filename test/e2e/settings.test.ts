import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPeerKey, type Peer } from '../peer/server';
import { cellOf, configureInSettings, solidImage } from './fixtures';
import { startScene, type Scene } from './scene';
import { ui } from './app-page';

// The "Running" settings a person needs when a server is old or slow: how the key is sent and the
// request timeout. Against a server that only reads the key from the URL (as servers before
// Roboflow Inference 1.5 do), "Authorization header only" stops the run with the 401 message, and
// switching to "URL (api_key) only" makes it work; both settings survive reopening the dialog.

let scene: Scene;
let peer: Peer;
let page: Page;
let problems: string[];

beforeAll(async () => {
  scene = await startScene({
    name: 'settings',
    peer: { headerAuth: false },
    folder: async (folder) => {
      await solidImage(64, 64, [220, 20, 20]).png().toFile(path.join(folder, 'red.png'));
      await solidImage(64, 64, [20, 20, 220]).png().toFile(path.join(folder, 'blue.png'));
    },
    settings: (peer) => ({ platformApiUrl: peer.url }),
  });
  ({ peer, page, problems } = scene);
  await ui(page).tiles.first().waitFor();
});

afterAll(() => scene?.close());

const settingsDialog = async () => {
  await ui(page).settingsButton.click();
  return ui(page).settings;
};

describe('checking the key', () => {
  it('checks the self-hosted endpoint being configured, not the platform API, and stores nothing until Save', async () => {
    // The platform API is unreachable: a check that went there would fail.
    await page.evaluate(() => (window as unknown as { api: { setSettings(p: object): Promise<unknown> } }).api.setSettings({ platformApiUrl: 'http://127.0.0.1:9/' }));
    const dialog = await settingsDialog();
    await dialog.getByLabel('Endpoint', { exact: true }).selectOption('self-hosted');
    await dialog.getByLabel('Endpoint URL').fill(peer.url);
    await dialog.getByLabel('Model', { exact: true }).fill('colors/1');
    await dialog.getByLabel('API key').fill('rf_not_the_key_0000');
    await dialog.getByRole('button', { name: 'Check key' }).click();
    await dialog.getByText('did not accept this API key', { exact: false }).waitFor({ timeout: 15_000 });
    await dialog.getByLabel('API key').fill(defaultPeerKey);
    await dialog.getByRole('button', { name: 'Check key' }).click();
    await dialog.getByText(`The key works with ${peer.url}`, { exact: false }).waitFor({ timeout: 15_000 });
    expect(peer.stats.keysSeen.has(defaultPeerKey)).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    const status = await page.evaluate(() => (window as unknown as { api: { credentialStatus(p: object): Promise<{ hasKey: boolean }> } }).api.credentialStatus({}));
    expect(status.hasKey).toBe(false);
    const saved = await page.evaluate(() => (window as unknown as { api: { getSettings(p: object): Promise<{ endpointKind: string }> } }).api.getSettings({}));
    expect(saved.endpointKind).toBe('serverless');
    await page.evaluate((url) => (window as unknown as { api: { setSettings(p: object): Promise<unknown> } }).api.setSettings({ platformApiUrl: url }), peer.url);
    peer.reset();
  });

  it('says once, in Settings, that a key sent over plain http to another machine can be read on the way', async () => {
    const dialog = await settingsDialog();
    await dialog.getByLabel('Endpoint', { exact: true }).selectOption('self-hosted');
    await dialog.getByLabel('Endpoint URL').fill('http://192.168.1.20:9001');
    await dialog.getByText('will travel unencrypted over plain http:// to 192.168.1.20:9001', { exact: false }).waitFor();
    await dialog.getByLabel('Endpoint URL').fill(peer.url);
    expect(await dialog.getByText('will travel unencrypted', { exact: false }).count()).toBe(0);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });
});

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
    await ui(page).runButton.click();
    await page.getByText('The run stopped').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.getByText('did not accept the API key (401)', { exact: false }).count()).toBe(1);

    const dialog = await settingsDialog();
    expect(await dialog.getByLabel('Authentication').inputValue()).toBe('bearer');
    expect(await dialog.getByLabel('Request timeout').inputValue()).toBe('7');
    await dialog.getByLabel('Authentication').selectOption('query');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });

    await ui(page).runButton.click();
    await expect.poll(() => cellOf(page, 'red.png').getAttribute('aria-label'), { timeout: 20_000 }).toMatch(/^red\.png, red [<>]?\d+%/);
    await expect.poll(() => cellOf(page, 'blue.png').getAttribute('aria-label'), { timeout: 20_000 }).toMatch(/^blue\.png, blue [<>]?\d+%/);
    const saved = await page.evaluate(() => (window as unknown as { api: { getSettings(): Promise<{ authMode: string; timeoutMs: number }> } }).api.getSettings());
    expect(saved).toMatchObject({ authMode: 'query', timeoutMs: 7000 });
    expect(problems).toEqual([]);
  });
});
