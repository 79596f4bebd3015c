import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '../host/host';
import { closeContexts, sharedChromium } from '../support/chromium';
import { assertRendererBuilt, bigFolderIds, ensureBigFolder, openTrackedPage } from './fixtures';
import { ui } from './app-page';

// A quarter-million-image folder (250 sub-folders of 1,000) in real Chromium against the browser
// host: the whole count arrives, the last image is reachable from the keyboard, and a filter
// narrows it. Correctness only; the renderer benchmark measures the speed.

const count = 250_000;
let browser: Browser;
let host: Host;
let dataDir: string;

beforeAll(async () => {
  assertRendererBuilt();
  // Generated once per machine (hard links of a few seed files) and kept under the temp dir.
  const dir = await ensureBigFolder(count);
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
  it('shows the full count, reaches the last image with End, and filters by name', async () => {
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
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);
});
