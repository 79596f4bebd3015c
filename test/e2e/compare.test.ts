import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPeerKey, type Peer } from '../peer/server';
import { cellOf, escapeRegExp as escape, solidImage, screenshotForPeople } from './fixtures';
import { startScene, type Scene } from './scene';
import { ui } from './app-page';

// Model comparison in real Chromium through the browser host against the Roboflow test peer:
// `colors/1` and `colors/3` (which swaps green and blue on dark images) run over one folder of
// class-named subfolders; the "Models disagree" filter shows exactly the dark green and dark blue
// images, the image view shows both predictions side by side, and the evaluation panel both
// models' metrics against the folder names.

const images: Array<[file: string, rgb: [number, number, number], a: string, b: string]> = [
  ['red bright.png', [230, 20, 20], 'red', 'red'],
  ['red dark.png', [100, 0, 0], 'red', 'red'],
  ['green bright.png', [20, 220, 30], 'green', 'green'],
  ['green dark 1.png', [0, 100, 0], 'green', 'blue'],
  ['green dark 2.jpg', [10, 90, 5], 'green', 'blue'],
  ['blue bright.png', [20, 30, 230], 'blue', 'blue'],
  ['blue dark.png', [0, 0, 110], 'blue', 'green'],
];
const disagreeing = images.filter(([, , a, b]) => a !== b).map(([file]) => file);

let scene: Scene;
let peer: Peer;
let page: Page;
let problems: string[];

beforeAll(async () => {
  scene = await startScene({
    name: 'compare',
    folder: async (folder) => {
      for (const [file, rgb] of images) {
        const image = solidImage(96, 96, rgb);
        // Each image in the folder of its true class (the first word of its name).
        const target = path.join(folder, file.split(' ')[0], file);
        await mkdir(path.dirname(target), { recursive: true });
        await (file.endsWith('.jpg') ? image.jpeg({ quality: 95 }) : image.png()).toFile(target);
      }
    },
    settings: (peer) => ({ platformApiUrl: peer.url, endpointKind: 'self-hosted', endpointUrl: peer.url, model: 'colors/1', concurrency: 4 }),
    // The host serves no favicon; anything else failing is a problem.
    ignoreConsole: (message) => message.location().url.endsWith('/favicon.ico'),
  });
  ({ peer, page, problems } = scene);
});

afterAll(() => scene?.close());

describe('comparing two models', () => {
  it('takes the second model in Settings next to the first', async () => {
    await ui(page).tiles.first().waitFor();
    await ui(page).settingsButton.click();
    const dialog = ui(page).settings;
    await dialog.getByLabel('API key').fill(defaultPeerKey);
    await dialog.getByLabel('Keep for this session only').check();
    const field = dialog.getByLabel('Compare with');
    await field.fill('colors');
    expect(await dialog.getByText('Use the form project/version', { exact: false }).count()).toBe(1);
    await field.fill('colors/3');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const section = ui(page).compare;
    await expect.poll(() => section.textContent()).toMatch(/colors\/1\s*vs\s*colors\/3/);
  });

  it('runs the first model, then the second over the same folder', async () => {
    await ui(page).runButton.click();
    for (const [file, , a] of images) {
      await expect.poll(() => cellOf(page, file).getAttribute('aria-label'), { timeout: 30_000 }).toMatch(new RegExp(`^${escape(file)}, ${a} \\S*%`));
    }
    expect(peer.stats.inferences).toBe(images.length);

    const section = ui(page).compare;
    await section.getByRole('button', { name: 'Run comparison' }).click();
    await expect.poll(() => section.textContent(), { timeout: 30_000 }).toMatch(new RegExp(`${images.length} of ${images.length} images classified by colors/3`));
    expect(peer.stats.inferences).toBe(images.length * 2);
    // The grid still shows the first model's predictions: the second one's results live apart.
    for (const [file, , a] of images) expect(await cellOf(page, file).getAttribute('aria-label')).toMatch(new RegExp(`^${escape(file)}, ${a} `));
  });

  it('Clear turns the Models disagree filter off too', async () => {
    const toggle = ui(page).option(/^Models disagree/);
    await toggle.check();
    await expect.poll(() => ui(page).tiles.count()).toBe(disagreeing.length);
    const clear = ui(page).filters.getByRole('button', { name: 'Clear', exact: true });
    expect(await clear.isEnabled()).toBe(true);
    await clear.click();
    await expect.poll(() => ui(page).tiles.count()).toBe(images.length);
    expect(await toggle.isChecked()).toBe(false);
    expect(await clear.isEnabled()).toBe(false);
    await ui(page).search.fill('green');
    await toggle.check();
    await expect.poll(() => ui(page).tiles.count()).toBe(2);
    await clear.click();
    await expect.poll(() => ui(page).tiles.count()).toBe(images.length);
    expect(await toggle.isChecked()).toBe(false);
    expect(await ui(page).search.inputValue()).toBe('');
    expect(problems).toEqual([]);
  });

  it('filters the grid to exactly the images the models disagree on', async () => {
    const toggle = ui(page).option(/^Models disagree/);
    expect(await toggle.locator('xpath=..').textContent()).toMatch(new RegExp(`Models disagree\\s*${disagreeing.length}`));
    await toggle.check();
    await expect.poll(() => ui(page).tiles.count()).toBe(disagreeing.length);
    const shown = await ui(page).tiles.evaluateAll((cells) => cells.map((cell) => cell.getAttribute('aria-label')?.split(',')[0]));
    expect(shown.sort()).toEqual([...disagreeing].sort());
    // The side panel follows the focus with both predictions.
    await cellOf(page, 'blue dark.png').click();
    const details = ui(page).details;
    await expect.poll(() => details.getByTestId('compare-scores').textContent()).toMatch(/The models disagree.*colors\/1\s*blue.*colors\/3\s*green/);
    await screenshotForPeople(page, 'compare-disagree.png');
    // It combines with the other filters: only the disagreeing images named "green".
    await ui(page).search.fill('green');
    await expect.poll(() => ui(page).tiles.count()).toBe(2);
    await ui(page).search.fill('');
    await expect.poll(() => ui(page).tiles.count()).toBe(disagreeing.length);
  });

  it('shows both predictions side by side in the image view', async () => {
    await cellOf(page, 'green dark 1.png').dblclick();
    const dialog = ui(page).dialog('green dark 1.png');
    const both = dialog.getByRole('region', { name: 'Both models' });
    await both.waitFor();
    await expect.poll(() => both.getByRole('status').textContent()).toMatch(/The models disagree/);
    const text = (await both.textContent()) ?? '';
    expect(text).toMatch(/colors\/1\s*green/);
    expect(text).toMatch(/colors\/3\s*blue/);
    // A score bar per class and per model.
    for (const model of ['colors/1', 'colors/3']) {
      for (const cls of ['red', 'green', 'blue']) expect(await both.getByLabel(new RegExp(`^${escape(model)}: ${cls} \\S+%$`)).count()).toBe(1);
    }
    await screenshotForPeople(page, 'compare.png');

    // The next image of the filtered order (by name) is another disagreement.
    await page.keyboard.press('ArrowRight');
    const next = ui(page).dialog('green dark 2.jpg');
    await expect.poll(() => next.getByRole('region', { name: 'Both models' }).getByRole('status').textContent()).toMatch(/The models disagree/);
    await page.keyboard.press('Escape');
    await next.waitFor({ state: 'detached' });
  });

  it('follows the threshold: above both scores the models no longer disagree', async () => {
    await ui(page).threshold.fill('99');
    await expect.poll(() => ui(page).tiles.count()).toBe(0);
    await ui(page).threshold.fill('40');
    await expect.poll(() => ui(page).tiles.count()).toBe(disagreeing.length);
    await ui(page).option(/^Models disagree/).uncheck();
    await expect.poll(() => ui(page).tiles.count()).toBe(images.length);
    await screenshotForPeople(page, 'compare-sidebar.png');
  });

  it("shows both models' metrics side by side in the evaluation panel", async () => {
    await page.getByRole('button', { name: 'Evaluate' }).click();
    const table = page.getByTestId('compare-metrics');
    // colors/1 gets all 7 right; colors/3 misses the 3 dark green and blue images.
    await expect.poll(() => table.getByRole('row', { name: /^Accuracy/ }).textContent(), { timeout: 15_000 }).toMatch(/Accuracy\s*100\.0%\s*57\.1%/);
    expect(await table.getByRole('columnheader').allTextContents()).toEqual(['', 'colors/1', 'colors/3']);
    expect(await table.getByRole('row', { name: /^Judged/ }).textContent()).toMatch(/Judged\s*7\s*7/);
    await screenshotForPeople(page, 'compare-evaluation.png');
    expect(problems).toEqual([]);
  });
});
