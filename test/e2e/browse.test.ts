import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost } from '../host/host';
import { closeContexts, sharedChromium } from '../support/chromium';
import { assertRendererBuilt, ensureBigFolder, escapeRegExp as escape, makeBrowseFolder, openTrackedPage, type BrowseFolder, screenshotForPeople } from './fixtures';
import { ui } from './app-page';

// Browsing in real Chromium against the browser host: the grid, thumbnails, error tiles, keyboard
// navigation, the detail view, and a bounded DOM at 50,000 images.

const base = (rel: string) => rel.split('/').pop()!;

let browser: Browser;
let folder: BrowseFolder;
const cleanups: Array<() => Promise<void>> = [];

async function openApp(dir: string): Promise<{ page: Page; problems: string[] }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-data-'));
  const host = await startHost({ dataDir, folder: dir });
  cleanups.push(() => host.close(), () => rm(dataDir, { recursive: true, force: true }));
  const problems: string[] = [];
  // Failed thumbnails of the deliberately bad files log resource errors; anything else is a bug.
  const page = await openTrackedPage(browser, host.url, problems);
  cleanups.push(() => page.close());
  return { page, problems };
}

const activeName = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');

beforeAll(async () => {
  assertRendererBuilt();
  browser = await sharedChromium();
  folder = await makeBrowseFolder();
  cleanups.push(() => rm(folder.dir, { recursive: true, force: true }));
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  if (browser) await closeContexts(browser);
});

describe('browsing a folder', () => {
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    ({ page, problems } = await openApp(folder.dir));
  });

  it('shows one named gridcell per image file, hidden and non-image files left out', async () => {
    const total = folder.good.length + folder.bad.length;
    await expect.poll(() => ui(page).tiles.count(), { timeout: 15_000 }).toBe(total);
    // The scan finishes and the summary says so (no "scanning…" left behind).
    await expect.poll(() => ui(page).summary.textContent(), { timeout: 15_000 }).toMatch(new RegExp(`^\\s*${total} images\\s*$`));
    for (const rel of [...folder.good, ...folder.bad]) {
      await expect(ui(page).tile(new RegExp(`^${escape(base(rel))}`)).count()).resolves.toBe(1);
    }
    await expect(ui(page).tile(/hidden|notes\.txt/).count()).resolves.toBe(0);
    const grid = ui(page).grid;
    expect(Number(await grid.getAttribute('aria-rowcount'))).toBeGreaterThan(0);
    expect(await ui(page).openFolderButton.isVisible()).toBe(true);
  });

  it('loads the thumbnails of the good files', async () => {
    for (const rel of folder.good) {
      const img = ui(page).tile(new RegExp(`^${escape(base(rel))}`)).locator('img');
      await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 20_000 }).toBeGreaterThan(0);
    }
  });

  it('shows the bad files as errors with their reason in the accessible name', async () => {
    for (const rel of folder.bad) {
      const cell = ui(page).tile(new RegExp(`^${escape(base(rel))}`));
      await expect.poll(() => cell.getAttribute('aria-label'), { timeout: 20_000 }).toMatch(new RegExp(`^${escape(base(rel))}, error: \\S.+`));
      expect(await cell.locator('img').count()).toBe(0);
    }
  });

  it('moves focus with the arrow keys, Home and End', async () => {
    const cells = ui(page).tiles;
    const names = await cells.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''));
    const columns = Number(await ui(page).grid.getAttribute('aria-colcount'));
    await cells.first().focus();
    expect(await activeName(page)).toBe(names[0]);
    await page.keyboard.press('ArrowRight');
    expect(await activeName(page)).toBe(names[1]);
    await page.keyboard.press('ArrowLeft');
    expect(await activeName(page)).toBe(names[0]);
    await page.keyboard.press('ArrowDown');
    expect(await activeName(page)).toBe(names[Math.min(columns, names.length - 1)]);
    await page.keyboard.press('End');
    expect(await activeName(page)).toBe(names[names.length - 1]);
    await page.keyboard.press('Home');
    expect(await activeName(page)).toBe(names[0]);
  });

  it('opens the full image with Enter and closes it with Escape, focus back on the tile', async () => {
    const target = ui(page).tile(/^chat 1\.jpg/);
    await target.focus();
    await page.keyboard.press('Enter');
    const dialog = ui(page).dialog('chat 1.jpg');
    await dialog.waitFor({ state: 'visible' });
    const full = dialog.getByRole('img', { name: 'chat 1.jpg' });
    await expect.poll(() => full.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 15_000 }).toBe(640);
    expect(await dialog.getByText('Not classified yet', { exact: false }).isVisible()).toBe(true);
    await screenshotForPeople(page, 'detail-browse.png');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await activeName(page)).toMatch(/^chat 1\.jpg/);
  });

  it('focuses the name search with / and lists the shortcuts with ?', async () => {
    await ui(page).tiles.first().focus();
    await page.keyboard.press('/');
    const search = page.getByRole('searchbox', { name: /Search names/ });
    expect(await search.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('chat');
    await expect.poll(() => ui(page).tiles.count()).toBe(2);
    await search.fill('');
    await expect.poll(() => ui(page).tiles.count()).toBe(folder.good.length + folder.bad.length);
    await page.keyboard.press('Escape');
    expect(await activeName(page)).not.toBe('');
    await page.keyboard.press('?');
    const help = ui(page).shortcuts;
    await help.waitFor();
    expect(await help.getByText('Open the image').count()).toBe(1);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
  });

  it('keeps the same image focused when a search narrows the grid and when it is cleared', async () => {
    const tabTile = () => page.locator('[role="gridcell"][tabindex="0"]').getAttribute('aria-label');
    await ui(page).tile(/^chat 1\.jpg/).focus();
    const search = page.getByRole('searchbox', { name: /Search names/ });
    await search.fill('chat');
    await expect.poll(() => ui(page).tiles.count()).toBe(2);
    // By position the focus would land on the second tile (chat 2.jpg); the image is kept instead.
    await expect.poll(tabTile).toMatch(/^chat 1\.jpg/);
    await search.fill('');
    await expect.poll(() => ui(page).tiles.count()).toBe(folder.good.length + folder.bad.length);
    await expect.poll(tabTile).toMatch(/^chat 1\.jpg/);
  });

  it('renders without script errors or CSP violations', async () => {
    await screenshotForPeople(page, 'grid.png');
    expect(problems).toEqual([]);
  });
});

describe('a folder of 50,000 images', () => {
  it('keeps the DOM bounded while the count says 50,000', async () => {
    const dir = await ensureBigFolder(50_000);
    const { page, problems } = await openApp(dir);
    await page.getByText('50,000 images', { exact: false }).first().waitFor({ timeout: 30_000 });
    await expect.poll(() => ui(page).tiles.count(), { timeout: 10_000 }).toBeGreaterThan(10);
    expect(await ui(page).tiles.count()).toBeLessThan(500);
    expect(Number(await ui(page).grid.getAttribute('aria-rowcount'))).toBeGreaterThan(1000);

    // A search narrows the grid: the tiles, kept by position, all show matching images, as many
    // as before (rows below the viewport included), and again once the search is cleared.
    const before = await ui(page).tiles.count();
    await ui(page).search.first().fill('img_1');
    await expect.poll(() => ui(page).summary.textContent(), { timeout: 30_000 }).toMatch(/^\s*10,000 of 50,000 images shown/);
    await expect.poll(() => ui(page).tiles.count()).toBe(before);
    const names = await ui(page).tiles.evaluateAll((cells) => cells.map((cell) => cell.getAttribute('aria-label') ?? ''));
    expect(names.filter((name) => !/^img_1\d{4}\.jpg,/.test(name))).toEqual([]);
    await ui(page).search.first().fill('');
    await expect.poll(() => ui(page).summary.textContent()).toMatch(/^\s*50,000 images\s*$/);
    // Plus, when the focused image (kept across the search) is out of view, its row.
    await expect.poll(() => ui(page).tiles.count()).toBeGreaterThanOrEqual(before);
    expect(await ui(page).tiles.count()).toBeLessThanOrEqual(before + Number(await ui(page).grid.getAttribute('aria-colcount')));

    await ui(page).tiles.first().focus();
    await page.keyboard.press('End');
    expect(await activeName(page)).toMatch(/^img_49999\.jpg/);
    expect(await ui(page).tiles.count()).toBeLessThan(500);
    await ui(page).grid.evaluate((el) => {
      el.scrollTop = el.scrollHeight / 2;
    });
    await expect.poll(() => ui(page).tile(/^img_2\d{4}\.jpg/).count()).toBeGreaterThan(0);
    expect(await ui(page).tiles.count()).toBeLessThan(500);
    expect(problems).toEqual([]);
    // Generating the 50,000 files takes a while the first time on a machine (they are kept for later runs).
  }, 180_000);
});
