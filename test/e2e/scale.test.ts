import { mkdtemp, readdir, realpath, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '../host/host';
import { closeContexts, sharedChromium } from '../support/chromium';
import { assertRendererBuilt, bigFolderIds, ensureBigFolder, openTrackedPage } from './fixtures';
import { ui } from './app-page';
import { apiRef } from '../../app/model-ref';
import { endpointBase, normaliseSettings, type SettingsPatch } from '../../app/settings';
import { folderIdOf } from '../../main/services/library';
import { createResultsStore } from '../../main/services/results';
import { doneRecord } from '../support/result-records';

// A quarter-million-image folder (250 sub-folders of 1,000) in real Chromium against the browser
// host: the whole count arrives, the last image is reachable from the keyboard, and a filter
// narrows it, also when the folder is opened again from its saved listing; a stored result of a file changed since shows as stale, though the results come
// before main has read every file's size and mtime. Correctness only; the renderer benchmark
// measures the speed.

const count = 250_000;
let browser: Browser;
let host: Host;
let dataDir: string;
let dir: string;

beforeAll(async () => {
  assertRendererBuilt();
  // Generated once per machine (hard links of a few seed files) and kept under the temp dir.
  dir = await ensureBigFolder(count);
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-scale-data-'));
  host = await startHost({ dataDir, folder: dir });
  browser = await sharedChromium();
}, 600_000);

afterAll(async () => {
  if (browser) await closeContexts(browser);
  await host?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a folder of 250,000 images', () => {
  it('shows the full count, reaches the last image with End, and filters by name, again once its listing is saved', async () => {
    const problems: string[] = [];
    const page = await openTrackedPage(browser, host.url, problems);
    const summary = ui(page).summary;
    await expect.poll(() => summary.textContent(), { timeout: 120_000 }).toMatch(/^\s*250,000 images\s*$/);
    expect(await ui(page).tiles.count()).toBeLessThan(500);

    await ui(page).tiles.first().focus();
    await page.keyboard.press('End');
    const last = bigFolderIds(count).at(-1)!.split('/').pop()!;
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '')).toMatch(new RegExp(`^${last.replace('.', '\\.')},`));

    await ui(page).search.first().fill('img_123456');
    await expect.poll(() => summary.textContent(), { timeout: 30_000 }).toMatch(/^\s*1 of 250,000 images shown/);
    await expect.poll(() => ui(page).tiles.count()).toBe(1);
    expect(await ui(page).tiles.first().getAttribute('aria-label')).toMatch(/^img_123456\.jpg,/);
    await page.close();

    // Opened again once its listing is saved: the listing comes in name order and is shown before
    // its paths are lower-cased for search; a search typed in capitals still finds the image.
    const listings = path.join(dataDir, 'cache', 'listings');
    await expect.poll(async () => (await readdir(listings).catch(() => [])).some((name) => name.endsWith('.listing')), { timeout: 120_000 }).toBe(true);
    const again = await openTrackedPage(browser, host.url, problems);
    await expect.poll(() => ui(again).summary.textContent(), { timeout: 120_000 }).toMatch(/^\s*250,000 images\s*$/);
    await ui(again).search.first().fill('IMG_123456');
    await expect.poll(() => ui(again).summary.textContent(), { timeout: 30_000 }).toMatch(/^\s*1 of 250,000 images shown/);
    expect(await ui(again).tiles.first().getAttribute('aria-label')).toMatch(/^img_123456\.jpg,/);
    expect(problems).toEqual([]);
    await again.close();
  }, 300_000);

  it('shows a stored result of a file changed since as stale, though it came before main had read that file', async () => {
    const settings: SettingsPatch = { endpointKind: 'self-hosted', endpointUrl: 'http://127.0.0.1:9', model: 'scale/1' };
    const ownData = await mkdtemp(path.join(os.tmpdir(), 'cd-scale-stale-'));
    // Results of the first two images: the first classified when its file was one byte longer.
    const results = createResultsStore({ dataDir: ownData });
    const journal = await results.journal(folderIdOf(await realpath(dir)), apiRef(endpointBase(normaliseSettings(settings)), settings.model!));
    for (const [k, id] of bigFolderIds(count).slice(0, 2).entries()) {
      const file = await stat(path.join(dir, id));
      await journal.append(doneRecord(id, 'red', { size: file.size + (k === 0 ? 1 : 0), mtimeMs: file.mtimeMs }));
    }
    await results.close();
    // Opened from the page (no start folder read ahead): its results are asked for as soon as main
    // answers, while main still reads the 250,000 files' sizes and mtimes behind the listing.
    const own = await startHost({ dataDir: ownData, pickFolder: dir, settings });
    const problems: string[] = [];
    try {
      const page = await openTrackedPage(browser, own.url, problems);
      await ui(page).openFolderButton.first().click();
      await expect.poll(() => ui(page).summary.textContent(), { timeout: 120_000 }).toMatch(/^\s*250,000 images\b/);
      await ui(page).tiles.first().focus();
      const details = ui(page).details;
      await expect.poll(() => details.textContent(), { timeout: 60_000 }).toContain('The file changed after it was classified.');
      await page.keyboard.press('ArrowRight');
      await expect.poll(() => details.textContent()).toContain('img_000001.jpg');
      expect(await details.textContent()).toContain('red');
      expect(await details.textContent()).not.toContain('The file changed');
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await own.close();
      // A thumbnail the page asked for may still be landing in the data folder's cache.
      await rm(ownData, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    }
  }, 300_000);
});
