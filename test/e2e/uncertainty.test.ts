import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uncertaintyOf } from '../../app/uncertainty';
import { singleLabelScores } from '../peer/classify';
import { seriousViolations } from './axe';
import { cellOf } from './fixtures';
import { runUntilLabelled } from './run-labels';
import { startColourScene, threeColours, type Scene } from './scene';
import { ui } from './app-page';

// "Least certain first" in real Chromium through the browser host: the margin sort puts the image
// the model hesitated on first, the margin range keeps only such images, and the detail panel and
// full view show its margin and entropy.

// The peer's colors/1 model scores by dominant colour: an orange-ish image is nearly a red/green tie.
const images: Array<[rel: string, rgb: [number, number, number]]> = [
  ...threeColours,
  ['z-unsure.png', [150, 140, 40]],
];
const expected = (rgb: [number, number, number]) => uncertaintyOf(singleLabelScores(rgb.map((v) => v / 255)), false, 0.5)!;

let scene: Scene;
let page: Page;
let problems: string[];

beforeAll(async () => {
  scene = await startColourScene({ name: 'uncertainty', images });
  ({ page, problems } = scene);
});

afterAll(() => scene?.close());

it('classifies the folder', async () => {
  await runUntilLabelled(page, images.map(([rel]) => rel));
});

describe('uncertainty', () => {
  it('sorts the least certain image first by margin and by entropy', async () => {
    const firstCell = () => ui(page).tiles.first().getAttribute('aria-label');
    expect(await firstCell()).toMatch(/^a-red\.png,/);
    const sort = ui(page).sortBy;
    await sort.selectOption('margin-asc');
    await expect.poll(firstCell).toMatch(/^z-unsure\.png,/);
    await sort.selectOption('name');
    await expect.poll(firstCell).toMatch(/^a-red\.png,/);
    await sort.selectOption('entropy-desc');
    await expect.poll(firstCell).toMatch(/^z-unsure\.png,/);
  });

  it('keeps only unsure images with the margin range', async () => {
    const sidebar = ui(page).filters;
    await sidebar.getByLabel('Margin to').fill('20');
    await expect.poll(() => ui(page).tiles.count()).toBe(1);
    expect(await ui(page).tiles.first().getAttribute('aria-label')).toMatch(/^z-unsure\.png,/);
    await sidebar.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => ui(page).tiles.count()).toBe(images.length);
  });

  it('shows margin and entropy in the detail panel and the full view', async () => {
    const u = expected(images[3][1]);
    expect(u.margin).toBeLessThan(0.2);
    await cellOf(page, 'z-unsure.png').click();
    const details = ui(page).details;
    await details.getByText(`Margin ${u.margin.toFixed(3)}`).waitFor();
    await details.getByText(`Entropy ${u.entropy.toFixed(3)}`).waitFor();
    await page.keyboard.press('Enter');
    const dialog = ui(page).dialog('z-unsure.png');
    await dialog.getByText(`Margin ${u.margin.toFixed(3)}`).waitFor();
    await dialog.getByText(`Entropy ${u.entropy.toFixed(3)}`).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await ui(page).dialogs.waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });
});
