import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPeerKey } from '../peer/server';
import { seriousViolations } from './axe';
import { cellOf, solidImage } from './fixtures';
import { startScene, type Scene } from './scene';
import { ui } from './app-page';

// Every screen of the window passes axe-core's WCAG 2.2 A/AA rules with no serious or critical
// violation, in light and dark: Settings, the grid with prediction overlays and truth marks after
// a run, the image view, the shortcuts list, the evaluation panel, model comparison, the export
// menu and the banners. axe is injected by the test browser (CSP bypassed there only).

const images: Array<[rel: string, rgb: [number, number, number]]> = [
  ['red/red_00.png', [230, 30, 30]],
  ['red/red_01.png', [150, 110, 100]],
  ['red/oops.png', [30, 200, 40]],
  ['green/green_00.png', [30, 200, 40]],
  ['green/green_01.png', [0, 100, 0]],
  ['blue/blue_00.png', [30, 40, 220]],
  ['blue/blue_01.png', [90, 100, 190]],
  ['blue/blue_02.png', [0, 0, 110]],
  ['yellow/yellow_00.png', [230, 220, 20]],
];

let scene: Scene;
let page: Page;

/** axe's serious and critical findings on the page as it is now, in the light and the dark theme. */
async function findings(): Promise<string[]> {
  const out: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    out.push(...(await seriousViolations(page)).map((line) => `${colorScheme}: ${line}`));
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return out;
}

beforeAll(async () => {
  scene = await startScene({
    name: 'a11y',
    bypassCSP: true,
    folder: async (folder) => {
      for (const [rel, rgb] of images) {
        const file = path.join(folder, rel);
        await mkdir(path.dirname(file), { recursive: true });
        await solidImage(64, 64, rgb).png().toFile(file);
      }
      await writeFile(path.join(folder, 'broken.png'), 'not a png');
    },
    settings: (peer) => ({ platformApiUrl: peer.url, endpointKind: 'self-hosted', endpointUrl: peer.url, model: 'colors/1', compareModel: 'colors/3', concurrency: 4 }),
    ignoreConsole: (message) => /Failed to load resource/.test(message.text()) || message.location().url.endsWith('/favicon.ico'),
  });
  page = scene.page;
  await ui(page).tiles.first().waitFor();
  await page.evaluate((key) => window.api.setApiKey({ key, sessionOnly: true }), defaultPeerKey);
});

afterAll(() => scene?.close());

describe('accessibility of every screen (axe, WCAG 2.2 AA)', () => {
  it('Settings', async () => {
    await ui(page).settingsButton.click();
    await ui(page).settings.waitFor();
    const found = await findings();
    await page.keyboard.press('Escape');
    await ui(page).dialogs.waitFor({ state: 'detached' });
    expect(found).toEqual([]);
  });

  it('the grid with prediction overlays and truth marks after a run', async () => {
    await ui(page).runButton.click();
    for (const [rel] of images) {
      await expect.poll(() => cellOf(page, rel).getAttribute('aria-label'), { timeout: 30_000 }).toMatch(/, (red|green|blue) \S+%/);
    }
    await ui(page).summary.waitFor({ timeout: 30_000 });
    await expect.poll(() => cellOf(page, 'red/oops.png').getAttribute('aria-label'), { timeout: 15_000 }).toMatch(/truth: red/);
    // Some badges muted below the threshold too.
    await ui(page).threshold.fill('70');
    await cellOf(page, 'red/red_00.png').click();
    const found = await findings();
    // And with file names under the tiles.
    await page.getByRole('button', { name: 'File names' }).click();
    await cellOf(page, 'red/red_00.png').locator('[data-name]').waitFor();
    found.push(...(await findings()));
    await page.getByRole('button', { name: 'File names' }).click();
    expect(found).toEqual([]);
  });

  it('the image view', async () => {
    await cellOf(page, 'red/oops.png').dblclick();
    await ui(page).dialog('oops.png').waitFor();
    const found = await findings();
    await page.keyboard.press('Escape');
    await ui(page).dialogs.waitFor({ state: 'detached' });
    expect(found).toEqual([]);
  });

  it('the shortcuts list', async () => {
    await page.keyboard.press('?');
    await ui(page).shortcuts.waitFor();
    const found = await findings();
    await page.keyboard.press('Escape');
    await ui(page).dialogs.waitFor({ state: 'detached' });
    expect(found).toEqual([]);
  });

  it('the evaluation panel', async () => {
    await ui(page).evaluateButton.click();
    const panel = ui(page).evaluation;
    await panel.getByTestId('accuracy').waitFor({ timeout: 15_000 });
    const found = await findings();
    await ui(page).evaluateButton.click();
    await panel.waitFor({ state: 'detached' });
    expect(found).toEqual([]);
  });

  it('model comparison', async () => {
    const section = ui(page).compare;
    await section.getByRole('button', { name: 'Run comparison' }).click();
    await expect.poll(() => section.textContent(), { timeout: 30_000 }).toMatch(new RegExp(`${images.length} of ${images.length + 1} images classified by colors/3`));
    await section.getByRole('checkbox', { name: /Models disagree/ }).check();
    await ui(page).tiles.first().click();
    const found = await findings();
    await section.getByRole('checkbox', { name: /Models disagree/ }).uncheck();
    expect(found).toEqual([]);
  });

  it('the export menu', async () => {
    await ui(page).exportButton.click();
    await ui(page).exportMenu.waitFor();
    const found = await findings();
    await page.keyboard.press('Escape');
    expect(found).toEqual([]);
  });

  it('banners', async () => {
    await ui(page).exportAs(/^CSV/);
    await ui(page).messages('Exported').waitFor({ timeout: 15_000 });
    const found = await findings();
    // A stopped run's banner too: the peer is gone.
    await scene.peer.close();
    await ui(page).runOptions.click();
    await ui(page).menuItem('Re-run everything').click();
    await ui(page).alerts.first().waitFor({ timeout: 30_000 });
    found.push(...(await findings()));
    expect(found).toEqual([]);
  });
});
