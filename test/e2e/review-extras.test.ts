import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultPeerKey, type Peer } from '../peer/server';
import { cellOf as cellIn, escapeRegExp as escape, solidImage, screenshotForPeople, screenshotsDir } from './fixtures';
import { startScene, type Scene } from './scene';
import { ui } from './app-page';

// Review extras in real Chromium through the browser host against the Roboflow test peer: the
// model picker, web images (pasted https URLs), the offline banner following the endpoint monitor
// (Retry, and a Run that waits for the endpoint), and CSV export.

const images: Array<[file: string, rgb: [number, number, number], cls: string]> = [
  ['tomato.png', [220, 40, 30], 'red'],
  ['leaf.png', [40, 190, 60], 'green'],
  ['sea.png', [30, 50, 210], 'blue'],
];

let scene: Scene;
let peer: Peer;
let page: Page;
let exportDir: string;
let problems: string[];

const webList = () => page.getByRole('list', { name: 'Web images list' });
const webItem = (name: string) => webList().getByRole('listitem', { name: new RegExp(`^${escape(name)},`) });
const cellOf = (name: string) => cellIn(page, name);

async function openPage(): Promise<Page> {
  const next = await scene.openPage();
  await ui(next).tiles.first().waitFor();
  return next;
}

beforeAll(async () => {
  scene = await startScene({
    name: 'extras',
    keyring: true,
    folder: async (folder) => {
      for (const [rel, rgb] of images) await solidImage(96, 96, rgb).png().toFile(path.join(folder, rel));
    },
    settings: (peer) => ({ platformApiUrl: peer.url, endpointKind: 'self-hosted', endpointUrl: peer.url }),
  });
  ({ peer, page, exportDir, problems } = scene);
  await ui(page).tiles.first().waitFor();
});

afterAll(() => scene?.close());

afterEach(async (context) => {
  // A failed step leaves a picture of the window behind.
  if (context.task.result?.state === 'fail' && page && !page.isClosed()) {
    await page.screenshot({ path: path.join(screenshotsDir, `extras-failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
  }
});

describe('review extras', () => {
  it('picks the model from the workspace’s projects in Settings', async () => {
    await ui(page).settingsButton.click();
    const dialog = ui(page).settings;
    const choose = dialog.getByRole('button', { name: 'Choose model…' });
    // Without a key there is nothing to list, and the picker says why.
    expect(await choose.isDisabled()).toBe(true);
    expect(await dialog.getByText('Save an API key first', { exact: false }).count()).toBe(1);
    // A key Roboflow refuses: the picker says so.
    await dialog.getByLabel('API key').fill('rf_wrong_key_0000000000');
    await choose.click();
    await dialog.getByRole('alert').filter({ hasText: /key/i }).first().waitFor({ timeout: 15_000 });
    expect(await dialog.getByLabel('Project', { exact: true }).count()).toBe(0);
    await choose.click();
    await dialog.getByLabel('API key').fill(defaultPeerKey);
    await choose.click();
    const project = dialog.getByLabel('Project', { exact: true });
    await project.waitFor({ timeout: 15_000 });
    // Only classification projects: the object-detection one is left out.
    const projects = await project.locator('option:not([disabled])').allTextContents();
    expect(projects).toEqual(['Colors (single-label, 2 versions)', 'Colors (multi-label) (multi-label, 1 version)']);
    await project.selectOption('colors');
    const version = dialog.getByLabel('Version', { exact: true });
    await version.waitFor();
    expect(await version.locator('option[value="colors/2"]').isDisabled()).toBe(true);
    await screenshotForPeople(page, 'settings-model-picker.png');
    await version.selectOption('colors/1');
    expect(await dialog.getByLabel('Model', { exact: true }).inputValue()).toBe('colors/1');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: /colors\/1/ }).count()).toBe(1);
  });

  it('classifies pasted image URLs into the Web images list, apart from the folder’s run', async () => {
    const field = page.getByLabel('Image URL', { exact: true });
    // Keyboard: U focuses the field, Enter classifies.
    await cellOf('leaf.png').focus();
    await page.keyboard.press('u');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('web-url');
    await page.keyboard.type('https://images.example.com/red-car.jpg');
    await page.keyboard.press('Enter');
    await expect.poll(() => webItem('red-car.jpg').getAttribute('aria-label'), { timeout: 20_000 }).toMatch(/^red-car\.jpg, red \S+%$/);
    expect(await field.inputValue()).toBe('');

    // Several lines pasted at once stay apart; one URL the endpoint refuses shows its reason.
    await field.focus();
    await field.evaluate((input, text) => {
      const data = new DataTransfer();
      data.setData('text/plain', text);
      input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, 'https://cdn.example.org/photos/blue-sky.png\r\nhttps://localhost/green.jpg\n');
    expect(await field.inputValue()).toBe('https://cdn.example.org/photos/blue-sky.png https://localhost/green.jpg');
    await page.getByRole('button', { name: 'Classify URL' }).click();
    await expect.poll(() => webItem('blue-sky.png').getAttribute('aria-label'), { timeout: 20_000 }).toMatch(/^blue-sky\.png, blue \S+%$/);
    await expect.poll(() => webItem('green.jpg').getAttribute('aria-label'), { timeout: 20_000 }).toMatch(/^green\.jpg, error: \S/);

    // Not an https URL: refused by the field, nothing sent.
    const requests = peer.stats.requests;
    await field.fill('http://images.example.com/red.jpg');
    await page.getByRole('button', { name: 'Classify URL' }).click();
    await ui(page).alerts.filter({ hasText: 'is not an https image URL' }).waitFor();
    expect(peer.stats.requests).toBe(requests);
    // Editing the field takes the complaint away.
    await field.fill('');
    expect(await ui(page).alerts.filter({ hasText: 'is not an https image URL' }).count()).toBe(0);

    // The folder's run bar never showed the web job, and no folder image was classified.
    expect(await ui(page).jobProgress.count()).toBe(0);
    expect(await cellOf('tomato.png').getAttribute('aria-label')).toBe('tomato.png, not classified');
    await screenshotForPeople(page, 'web-images.png');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshotForPeople(page, 'web-images-dark.png');
    await page.emulateMedia({ colorScheme: 'light' });

    // Kept with the folder's results: a new window lists them again.
    await page.close();
    page = await openPage();
    await expect.poll(() => webList().getByRole('listitem').count(), { timeout: 15_000 }).toBe(3);
    expect(await webItem('red-car.jpg').getAttribute('aria-label')).toMatch(/^red-car\.jpg, red /);
  }, 90_000);

  it('says when the endpoint is unreachable, and Retry clears it once it is back', async () => {
    await peer.close();
    await page.reload();
    const banner = ui(page).messages('Working offline');
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.textContent()).toContain(`${peer.url} is unreachable. Cached results stay browsable and exportable.`);
    await screenshotForPeople(page, 'offline-banner.png');

    // Still down: Retry keeps the banner.
    await banner.getByRole('button', { name: 'Retry' }).click();
    await banner.getByRole('button', { name: 'Retry' }).waitFor();
    expect(await banner.count()).toBe(1);

    peer = await scene.restartPeer();
    await banner.getByRole('button', { name: 'Retry' }).click();
    await banner.waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('offers to retry a Run pressed while offline, and runs once the endpoint answers', async () => {
    await peer.close();
    await page.reload();
    await page.getByText('Working offline').waitFor({ timeout: 15_000 });
    await ui(page).runButton.click();
    const waiting = ui(page).alerts.filter({ hasText: 'Run needs the endpoint' });
    await waiting.waitFor({ timeout: 15_000 });
    await screenshotForPeople(page, 'offline-run-waits.png');
    expect(await cellOf('tomato.png').getAttribute('aria-label')).toBe('tomato.png, not classified');

    peer = await scene.restartPeer();
    await waiting.getByRole('button', { name: 'Retry' }).click();
    for (const [rel, , cls] of images) {
      await expect.poll(() => cellOf(rel).getAttribute('aria-label'), { timeout: 30_000 }).toMatch(new RegExp(`^${escape(rel)}, ${cls} \\S+%$`));
    }
    expect(await page.getByText('Working offline').count()).toBe(0);
  }, 60_000);

  it('exports CSV with the folder’s images and the web images', async () => {
    await ui(page).exportAs(/^CSV/);
    await ui(page).messages('Exported').waitFor({ timeout: 15_000 });
    await screenshotForPeople(page, 'exported-csv.png');
    const files = (await readdir(exportDir)).filter((name) => name.endsWith('.csv'));
    expect(files).toHaveLength(1);
    const lines = (await readFile(path.join(exportDir, files[0]), 'utf8')).trim().split(/\r?\n/);
    const header = lines[0].split(',');
    const pathAt = header.indexOf('path');
    const topAt = header.indexOf('top_class');
    expect(pathAt).toBeGreaterThanOrEqual(0);
    expect(topAt).toBeGreaterThanOrEqual(0);
    const rows = new Map(lines.slice(1).map((line) => line.split(',')).map((cells) => [cells[pathAt], cells[topAt]]));
    for (const [rel, , cls] of images) expect(rows.get(rel)).toBe(cls);
    expect(rows.get('https://images.example.com/red-car.jpg')).toBe('red');
    expect(rows.get('https://cdn.example.org/photos/blue-sky.png')).toBe('blue');

    // Annotated copies of only the images the filters show.
    await ui(page).option(/^red\b/).check();
    await ui(page).exportAs(/^Annotated images, shown only/);
    await ui(page).messages('Exported 1 image as annotated images').waitFor({ timeout: 15_000 });
    const folders = (await readdir(exportDir, { withFileTypes: true })).filter((item) => item.isDirectory());
    expect(folders).toHaveLength(1);
    expect(await readdir(path.join(exportDir, folders[0].name))).toEqual(['tomato.jpg']);
    await ui(page).option(/^red\b/).uncheck();
    expect(problems).toEqual([]);
  });
});
