import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './axe';
import { cellOf } from './fixtures';
import { runUntilLabelled } from './run-labels';
import { startColourScene, threeColours, type Scene } from './scene';

// Saved views (V) and the full view's zoom, pan and side-by-side comparison in real Chromium
// through the browser host, by keyboard first.

const images = threeColours;

let scene: Scene;
let page: Page;
let problems: string[];

beforeAll(async () => {
  scene = await startColourScene({ name: 'views-zoom', images, size: [400, 300] });
  ({ page, problems } = scene);
});

afterAll(() => scene?.close());

const cells = () => page.getByRole('gridcell').count();
const sidebar = () => page.getByRole('complementary', { name: 'Filters' });

it('classifies the folder', async () => {
  await runUntilLabelled(page, images.map(([rel]) => rel));
});

describe('saved views', () => {
  it('saves the current filter, sort and threshold with V, and reopens, renames and deletes it after a restart', async () => {
    await sidebar().getByRole('checkbox', { name: /^blue(\s|$)/ }).check();
    await page.getByLabel('Sort by').selectOption('confidence-asc');
    await expect.poll(cells).toBe(1);
    await cellOf(page, 'b-blue.png').click();
    await page.keyboard.press('v');
    const dialog = page.getByRole('dialog', { name: 'Saved views' });
    await dialog.waitFor({ timeout: 10_000 });
    await dialog.getByText('No saved views for this folder yet.').waitFor({ timeout: 10_000 });
    await page.keyboard.type('Only blue');
    await page.keyboard.press('Enter');
    await dialog.getByRole('button', { name: 'Only blue', exact: true }).waitFor({ timeout: 10_000 });
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    await page.close();
    await scene.restartHost();
    page = await scene.openPage();
    await page.getByRole('gridcell').first().waitFor();
    await expect.poll(cells, { timeout: 20_000 }).toBe(images.length);
    await cellOf(page, 'a-red.png').click();
    await page.keyboard.press('v');
    const again = page.getByRole('dialog', { name: 'Saved views' });
    await again.getByText(/blue · sorted by confidence, low first · threshold/).waitFor({ timeout: 10_000 });
    // The first view has focus: Enter opens it.
    await page.keyboard.press('Enter');
    await again.waitFor({ state: 'detached' });
    await expect.poll(cells).toBe(1);
    expect(await page.getByLabel('Sort by').inputValue()).toBe('confidence-asc');

    await page.keyboard.press('v');
    await again.getByRole('button', { name: 'Rename Only blue' }).click();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('Blues');
    await page.keyboard.press('Enter');
    await again.getByRole('button', { name: 'Blues', exact: true }).waitFor({ timeout: 10_000 });
    await again.getByRole('button', { name: 'Delete Blues' }).click();
    await again.getByText('No saved views for this folder yet.').waitFor({ timeout: 10_000 });
    await page.keyboard.press('Escape');
    await sidebar().getByRole('button', { name: 'Clear' }).click();
    await expect.poll(cells).toBe(images.length);
    expect(problems).toEqual([]);
  });
});

describe('zoom and comparison', () => {
  it('zooms with + - 0 A, the wheel and drag, and compares a pinned image side by side', async () => {
    await page.getByLabel('Sort by').selectOption('name');
    await cellOf(page, 'a-red.png').click();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'a-red.png' });
    await dialog.waitFor({ timeout: 10_000 });
    const level = dialog.getByRole('status', { name: 'Zoom level' });
    const image = dialog.getByRole('img', { name: 'a-red.png' });
    await expect.poll(() => level.textContent()).toBe('Fit');
    // 1:1 needs the picture's own size: wait until it has loaded.
    await expect.poll(() => dialog.getByRole('button', { name: /^1:1/ }).isEnabled()).toBe(true);
    await page.keyboard.press('+');
    await expect.poll(() => level.textContent()).toBe('125%');
    await page.keyboard.press('-');
    await expect.poll(() => level.textContent()).toBe('Fit');
    await page.keyboard.press('a');
    // 400 px shown larger than 400 px at fit: 1:1 pixels is below fit.
    await expect.poll(async () => Number((await level.textContent())?.replace('%', ''))).toBeLessThan(100);
    await page.keyboard.press('0');
    await expect.poll(() => level.textContent()).toBe('Fit');

    const box = (await image.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -300);
    await expect.poll(async () => Number((await level.textContent())?.replace('%', '')) || 0).toBeGreaterThan(150);
    const before = (await image.boundingBox())!;
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 + 20, { steps: 4 });
    await page.mouse.up();
    await expect.poll(async () => Math.round((await image.boundingBox())!.x - before.x)).toBe(60);

    // Pin a, move on to b: both show, and zoom together.
    await page.keyboard.press('p');
    await page.keyboard.press('ArrowRight');
    const next = page.getByRole('dialog', { name: 'b-blue.png' });
    await next.getByRole('figure', { name: 'Pinned: a-red.png' }).waitFor({ timeout: 10_000 });
    await next.getByRole('figure', { name: 'Current: b-blue.png' }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('0');
    await page.keyboard.press('+');
    const pinnedImg = next.getByRole('img', { name: 'a-red.png' });
    const currentImg = next.getByRole('img', { name: 'b-blue.png' });
    await expect.poll(async () => (await pinnedImg.evaluate((el) => getComputedStyle(el).transform))).toBe(await currentImg.evaluate((el) => getComputedStyle(el).transform));
    expect(await pinnedImg.evaluate((el) => getComputedStyle(el).transform)).not.toBe('none');
    expect(await seriousViolations(page)).toEqual([]);
    await next.getByRole('button', { name: 'Unpin' }).first().click();
    await next.getByRole('figure', { name: 'Pinned: a-red.png' }).waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
    await next.waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });
});
