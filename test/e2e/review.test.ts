import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPeerKey, type Peer } from '../peer/server';
import { cellOf, configureInSettings, escapeRegExp as escape, solidImage, screenshotForPeople } from './fixtures';
import { startScene, type Scene } from './scene';
import { ui } from './app-page';

// Review in real Chromium through the browser host against the Roboflow test peer: settings by
// their labels, Run, overlays in the accessible names, threshold without new requests, class
// filter, detail view, JSON export, and cached results offline after a restart.

// The peer's colors/1 model classifies by dominant colour; less saturated colours score lower.
const images: Array<[file: string, rgb: [number, number, number], cls: 'red' | 'green' | 'blue']> = [
  ['red 1.png', [230, 30, 30], 'red'],
  ['red 2.jpg', [200, 60, 60], 'red'],
  ['red 3.png', [150, 110, 100], 'red'],
  ['green 1.png', [30, 200, 40], 'green'],
  ['green 2.jpg', [70, 180, 90], 'green'],
  ['blue 1.png', [30, 40, 220], 'blue'],
  ['blue 2.png', [90, 100, 190], 'blue'],
  ['sub/blue 3.webp', [20, 20, 160], 'blue'],
];
const base = (rel: string) => rel.split('/').pop()!;

let scene: Scene;
let peer: Peer;
let page: Page;
let exportDir: string;
let problems: string[];

beforeAll(async () => {
  // A real keychain, so the key survives the restart at the end (session-only keys would not).
  scene = await startScene({
    name: 'review',
    keyring: true,
    folder: async (folder) => {
      for (const [rel, rgb] of images) {
        const file = path.join(folder, rel);
        await mkdir(path.dirname(file), { recursive: true });
        const image = solidImage(96, 96, rgb);
        await (rel.endsWith('.jpg') ? image.jpeg() : rel.endsWith('.webp') ? image.webp() : image.png()).toFile(file);
      }
      // broken.png fails to load on purpose, and the offline start-up check fails on purpose.
      await writeFile(path.join(folder, 'broken.png'), 'not a png');
    },
    settings: (peer) => ({ platformApiUrl: peer.url }),
  });
  ({ peer, page, exportDir, problems } = scene);
});

afterAll(() => scene?.close());

describe('reviewing a classified folder', () => {
  it('takes the endpoint, model and key in Settings by their labels', async () => {
    await ui(page).tiles.first().waitFor();
    await configureInSettings(page, {
      url: peer.url,
      model: 'colors/1',
      key: defaultPeerKey,
      beforeSave: async (dialog) => {
        await dialog.getByLabel('Concurrency').fill('4');
        expect(await dialog.getByText('The key works', { exact: false }).count()).toBe(1);
        // Checked, not stored: nothing is kept until Save.
        expect(await dialog.getByText('No key saved', { exact: false }).count()).toBe(1);
        expect(await dialog.getByLabel('API key').inputValue()).toBe(defaultPeerKey);
        await screenshotForPeople(page, 'settings.png');
      },
    });
    expect(await page.getByRole('button', { name: /colors\/1/ }).count()).toBe(1);
    const status = await page.evaluate(() => (window as unknown as { api: { credentialStatus(p: object): Promise<{ hasKey: boolean; last4?: string }> } }).api.credentialStatus({}));
    expect(status).toMatchObject({ hasKey: true, last4: defaultPeerKey.slice(-4) });
  });

  it('runs the model and names every tile by its class', async () => {
    await ui(page).runButton.click();
    for (const [rel, , cls] of images) {
      await expect.poll(() => cellOf(page, rel).getAttribute('aria-label'), { timeout: 30_000 }).toMatch(new RegExp(`^${escape(base(rel))}, ${cls} \\S*%`));
    }
    await expect.poll(() => cellOf(page, 'broken.png').getAttribute('aria-label'), { timeout: 30_000 }).toMatch(/^broken\.png, error: \S/);
    await ui(page).summary.waitFor({ timeout: 30_000 });
    expect(peer.stats.inferences).toBe(images.length);
    await screenshotForPeople(page, 'grid-overlays.png');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshotForPeople(page, 'grid-overlays-dark.png');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('re-labels with the threshold without new requests', async () => {
    const requests = peer.stats.requests;
    const slider = ui(page).threshold;
    await slider.fill('80');
    await expect.poll(() => cellOf(page, 'red 3.png').getAttribute('aria-label')).toMatch(/^red 3\.png, red \S+%, below threshold$/);
    expect(await cellOf(page, 'red 1.png').getAttribute('aria-label')).toMatch(/^red 1\.png, red \S+%$/);
    await slider.fill('40');
    await expect.poll(() => cellOf(page, 'red 3.png').getAttribute('aria-label')).toMatch(/^red 3\.png, red \S+%$/);
    expect(peer.stats.requests).toBe(requests);
  });

  it('filters by one class', async () => {
    const red = ui(page).option(/^red\b/);
    await red.check();
    await expect.poll(() => ui(page).tiles.count()).toBe(3);
    expect(await ui(page).summary.textContent()).toMatch(/3 of 9 images shown/);
    await red.uncheck();
    await expect.poll(() => ui(page).tiles.count()).toBe(images.length + 1);
  });

  it('after a class filter and a sort, every tile shows its own thumbnail and badge', async () => {
    // Tiles are kept by position across view changes: each must take the new image's picture,
    // badge and name together.
    const shown = () => ui(page).tiles.evaluateAll((cells) => cells.map((cell) => ({
      name: cell.getAttribute('aria-label') ?? '',
      src: decodeURIComponent(new URL(cell.querySelector('img')?.src ?? 'about:blank').pathname),
      badge: cell.querySelector('.badges')?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
    })));
    const consistent = async () => {
      const tiles = await shown();
      for (const tile of tiles) {
        const [file, label] = tile.name.split(', ');
        const rel = images.find(([r]) => base(r) === file)?.[0];
        if (!rel) continue; // broken.png shows its error instead of a picture
        expect(tile.src.endsWith(`/${rel}`), `${file}: ${tile.src}`).toBe(true);
        expect(tile.badge, file).toBe(label);
      }
      return tiles.map((tile) => tile.name.split(',')[0]);
    };
    const blue = ui(page).option(/^blue\b/);
    await blue.check();
    await expect.poll(() => ui(page).tiles.count()).toBe(3);
    expect(await consistent()).toEqual(['blue 1.png', 'blue 2.png', 'blue 3.webp']);
    await ui(page).sortBy.selectOption('confidence-desc');
    await blue.uncheck();
    await expect.poll(() => ui(page).tiles.count()).toBe(images.length + 1);
    const byName = ['blue 1.png', 'blue 2.png', 'broken.png', 'green 1.png', 'green 2.jpg', 'red 1.png', 'red 2.jpg', 'red 3.png', 'blue 3.webp'];
    expect(await consistent()).not.toEqual(byName);
    await ui(page).sortBy.selectOption('name');
    await expect.poll(consistent).toEqual(byName);
  });

  it('shows scores, the raw response and neighbours in the detail view', async () => {
    await cellOf(page, 'red 2.jpg').dblclick();
    const dialog = ui(page).dialog('red 2.jpg');
    await dialog.waitFor();
    const scores = dialog.getByRole('list', { name: 'Class scores' }).getByRole('listitem');
    await expect.poll(() => scores.count()).toBe(3);
    expect(await scores.first().getAttribute('aria-label')).toMatch(/^red \S+%$/);
    await dialog.getByText('Raw response').click();
    expect(await dialog.locator('pre').textContent()).toContain('"top"');
    await screenshotForPeople(page, 'detail.png');
    await page.keyboard.press('ArrowRight');
    await ui(page).dialog('red 3.png').waitFor();
    await page.keyboard.press('Escape');
    await ui(page).dialogs.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(/^red 3\.png/);

    // A failed image explains itself and offers Retry.
    await cellOf(page, 'broken.png').dblclick();
    const failed = ui(page).dialog('broken.png');
    await failed.getByRole('alert').filter({ hasText: 'Classification failed' }).waitFor();
    expect(await failed.getByRole('button', { name: 'Retry' }).isEnabled()).toBe(true);
    await page.keyboard.press('Escape');
    await failed.waitFor({ state: 'detached' });
  });

  it('exports JSON with every image and its class', async () => {
    await ui(page).exportAs(/^JSON/);
    await ui(page).messages('Exported').waitFor({ timeout: 15_000 });
    const files = (await readdir(exportDir)).filter((name) => name.endsWith('.json'));
    expect(files).toHaveLength(1);
    const doc = JSON.parse(await readFile(path.join(exportDir, files[0]), 'utf8')) as {
      format: string;
      images: Array<{ path: string; status: string; top?: string }>;
    };
    expect(doc.format).toBe('classify-desk/v2');
    expect(doc.images).toHaveLength(images.length + 1);
    for (const [rel, , cls] of images) expect(doc.images.find((image) => image.path === rel)?.top).toBe(cls);
    expect(doc.images.find((image) => image.path === 'broken.png')?.status).toBe('error');

    // Only what the filters show.
    await ui(page).option(/^red\b/).check();
    await ui(page).exportAs(/^JSON, shown images only/);
    await ui(page).messages('Exported 3 images').waitFor({ timeout: 15_000 });
    const docs = await Promise.all(
      (await readdir(exportDir)).filter((name) => name.endsWith('.json')).map(async (name) => JSON.parse(await readFile(path.join(exportDir, name), 'utf8')) as typeof doc),
    );
    const shown = docs.find((d) => d.images.length === 3);
    expect(shown?.images.map((image) => image.top)).toEqual(['red', 'red', 'red']);
    await ui(page).option(/^red\b/).uncheck();
  });

  it('pauses, resumes and cancels a run from the status bar', async () => {
    peer.fault({ kind: 'slow', delayMs: 600, count: 100 });
    await ui(page).runOptions.click();
    await ui(page).menuItem('Re-run everything').click();
    const progress = ui(page).jobProgress;
    await progress.getByText('Classifying').waitFor({ timeout: 15_000 });
    expect(await progress.getByRole('progressbar').count()).toBe(1);
    await page.getByRole('button', { name: 'Pause' }).click();
    await progress.getByText('Paused').waitFor({ timeout: 15_000 });
    await screenshotForPeople(page, 'run-paused.png');
    await page.getByRole('button', { name: 'Resume' }).click();
    await progress.getByText('Classifying').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    const summary = ui(page).summary;
    await summary.waitFor({ timeout: 15_000 });
    expect(await summary.textContent()).toMatch(/last run cancelled/);
    // Cancelling keeps what was known: every image still has its class.
    for (const [rel, , cls] of images) expect(await cellOf(page, rel).getAttribute('aria-label')).toMatch(new RegExp(`, ${cls} \\S*%`));
    peer.reset();
  });

  it('shows the cached results offline after a restart', async () => {
    await page.close();
    await peer.close();
    await scene.restartHost();
    page = await scene.openPage();
    for (const [rel, , cls] of images) {
      await expect.poll(() => cellOf(page, rel).getAttribute('aria-label'), { timeout: 20_000 }).toMatch(new RegExp(`, ${cls} \\S*%`));
    }
    await page.getByText('Working offline').waitFor({ timeout: 20_000 });
    await screenshotForPeople(page, 'offline.png');
    expect(problems).toEqual([]);
  });
});
