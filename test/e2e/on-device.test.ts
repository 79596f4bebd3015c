import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPeerKey, type Peer } from '../peer/server';
import { writeColourImages, type ColourImage } from '../support/colour-images';
import { seriousViolations } from './axe';
import { cellOf, configureInSettings, escapeRegExp, screenshotForPeople } from './fixtures';
import { startScene, type Scene } from './scene';
import { ui } from './app-page';

// "On this computer" in the window: Settings downloads the model from the platform API (the peer's
// /ort route serves a tiny ONNX colour model), the engine is switched, the network goes away, and
// Run still names every tile by its colour, answered by the downloaded model.

let scene: Scene;
let peer: Peer;
let page: Page;
let problems: string[];
let images: ColourImage[];

beforeAll(async () => {
  scene = await startScene({
    name: 'on-device',
    folder: async (folder) => {
      images = await writeColourImages(folder, 6);
    },
    settings: (peer) => ({ platformApiUrl: peer.url }),
    bypassCSP: true,
    // The peer goes away on purpose: the thumbnails and runs must not need it.
    ignoreConsole: () => true,
  });
  ({ peer, page, problems } = scene);
  await ui(page).tiles.first().waitFor();
}, 60_000);

afterAll(() => scene?.close());

const settingsDialog = async () => {
  await ui(page).settingsButton.click();
  const dialog = ui(page).settings;
  await dialog.waitFor();
  return dialog;
};

describe('classifying on this computer', () => {
  it('downloads the current model from Settings and lists it with its classes', async () => {
    await configureInSettings(page, { url: peer.url, model: 'colors/1', key: defaultPeerKey });
    // Through the API first: these results must not show as the device's.
    await ui(page).runButton.click();
    const first = images[0];
    await expect.poll(() => cellOf(page, first.id).getAttribute('aria-label'), { timeout: 60_000 }).toMatch(new RegExp(`^${escapeRegExp(first.id)}, ${first.expected} `));
    await ui(page).summary.waitFor({ timeout: 30_000 });
    const dialog = await settingsDialog();
    await dialog.getByLabel('Classify with').selectOption('on-device');
    await dialog.getByRole('button', { name: 'Download for offline use' }).click();
    const list = dialog.getByRole('list', { name: 'Downloaded models' });
    const item = list.getByRole('listitem').filter({ hasText: 'colors/1' });
    await item.waitFor({ timeout: 60_000 });
    expect(await item.textContent()).toContain('red, green, blue');
    await dialog.getByText('colors/1 is ready to run on this computer', { exact: false }).waitFor();
    expect(await dialog.getByRole('button', { name: 'Remove colors/1' }).isEnabled()).toBe(true);

    // The dialog with the engine section stays accessible.
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByRole('heading', { name: 'Engine' }).scrollIntoViewIfNeeded();
    await screenshotForPeople(page, 'settings-engine.png');

    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const saved = await page.evaluate(() => (window as unknown as { api: { getSettings(p: object): Promise<{ engine: string }> } }).api.getSettings({}));
    expect(saved.engine).toBe('on-device');
    // Results are kept per engine: the API's stay stored but the grid now shows the device's (none yet).
    await expect.poll(() => cellOf(page, first.id).getAttribute('aria-label')).not.toMatch(new RegExp(`, ${first.expected} `));
    await page.getByText('Now showing On this computer, colors/1', { exact: false }).waitFor();
  }, 90_000);

  it('runs offline: every tile gets its colour from the downloaded model, the status bar names the engine', async () => {
    await peer.close();
    const before = peer.stats.inferences;
    expect(before).toBe(images.length);
    await ui(page).runButton.click();
    for (const image of images) {
      await expect.poll(() => cellOf(page, image.id).getAttribute('aria-label'), { timeout: 60_000 }).toMatch(new RegExp(`^${escapeRegExp(image.id)}, ${image.expected} \\S*%`));
    }
    await ui(page).summary.waitFor({ timeout: 30_000 });
    expect(await page.locator('footer.status').textContent()).toContain('Engine: On this computer');
    // Nothing went to the (closed) peer.
    expect(peer.stats.inferences).toBe(before);
    await screenshotForPeople(page, 'on-device-grid.png');
  }, 120_000);

  it('shows the device’s answer in the detail view', async () => {
    const red = images.find((image) => image.expected === 'red')!;
    await cellOf(page, red.id).dblclick();
    const dialog = ui(page).dialog(red.id);
    await dialog.waitFor();
    const scores = dialog.getByRole('list', { name: 'Class scores' }).getByRole('listitem');
    // Classes under the 1 % floor are left out, as the API leaves them out.
    await scores.first().waitFor();
    expect(await scores.first().getAttribute('aria-label')).toMatch(/^red \S+%$/);
    await dialog.getByText('Raw response').click();
    expect(await dialog.locator('pre').textContent()).toContain('"top"');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(problems.filter((p) => !/net::|Failed to load resource|fetch/i.test(p))).toEqual([]);
  });
});
