import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ui } from './app-page';
import { seriousViolations } from './axe';
import { cellOf, escapeRegExp } from './fixtures';
import { runUntilLabelled } from './run-labels';
import { startColourScene, threeColours, type Scene } from './scene';

// Tags and notes in real Chromium through the browser host, by keyboard: T opens the tag picker
// (type-ahead, create), the sidebar's tag facets count and filter, Ctrl+Z undoes a tag step, the
// full view takes a note (N, Ctrl+Enter), everything survives a host restart and goes into the
// JSON export.

const images = threeColours;

let scene: Scene;
let page: Page;
let problems: string[];

beforeAll(async () => {
  scene = await startColourScene({ name: 'tags', images });
  ({ page, problems } = scene);
});

afterAll(() => scene?.close());

const facet = (p: Page, tag: string) => p.getByRole('complementary', { name: 'Filters' }).getByRole('checkbox', { name: new RegExp(`^${escapeRegExp(tag)}(\\s|$)`) });
const facetCount = async (p: Page, tag: string) => (await facet(p, tag).count()) === 0 ? 0 : Number((await facet(p, tag).locator('xpath=..').locator('.n').textContent())?.trim());

it('classifies the folder', async () => {
  await runUntilLabelled(page, images.map(([rel]) => rel));
});

describe('tags', () => {
  it('creates a tag with T on the focused image, adds it to a selection by type-ahead, and filters by its facet', async () => {
    await cellOf(page, 'a-red.png').click();
    await page.keyboard.press('t');
    const picker = page.getByRole('dialog', { name: 'Tags of this image' });
    await picker.waitFor({ timeout: 10_000 });
    await page.keyboard.type('<b>second look</b>');
    await picker.getByRole('option', { name: /Create tag “<b>second look<\/b>”/ }).waitFor({ timeout: 10_000 });
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Enter');
    await picker.getByRole('option', { name: /<b>second look<\/b>/, selected: true }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Escape');
    await picker.waitFor({ state: 'detached' });
    await expect.poll(() => facetCount(page, '<b>second look</b>')).toBe(1);

    // a and b selected (Shift+→), T, type a prefix, Enter: both carry it.
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('t');
    const many = page.getByRole('dialog', { name: 'Tags of 2 images' });
    await many.waitFor({ timeout: 10_000 });
    await page.keyboard.type('<b>sec');
    await many.getByText('(on 1 of 2)').waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    await many.getByRole('option', { name: /second look/, selected: true }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Escape');
    await expect.poll(() => facetCount(page, '<b>second look</b>')).toBe(2);

    await facet(page, '<b>second look</b>').check();
    await expect.poll(() => page.getByRole('gridcell').count()).toBe(2);
    await facet(page, '<b>second look</b>').uncheck();
    await expect.poll(() => page.getByRole('gridcell').count()).toBe(images.length);
  });

  it('undoes a tag step with Ctrl+Z on the grid', async () => {
    await cellOf(page, 'b-blue.png').click();
    await page.keyboard.press('Control+z');
    await expect.poll(() => facetCount(page, '<b>second look</b>')).toBe(1);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => facetCount(page, '<b>second look</b>')).toBe(2);
  });

  it('takes a note in the full view with N and Ctrl+Enter, and shows the tags there', async () => {
    await cellOf(page, 'a-red.png').click();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'a-red.png' });
    await dialog.waitFor({ timeout: 10_000 });
    await dialog.getByRole('list', { name: 'Tags of this image' }).getByText('<b>second look</b>').waitFor({ timeout: 10_000 });
    await page.keyboard.press('n');
    await page.keyboard.type('Lens flare, "check"');
    await page.keyboard.press('Control+Enter');
    await dialog.getByText('Saved.').waitFor({ timeout: 10_000 });
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });

  it('sends the images of one tag to Roboflow with their own tags', async () => {
    await cellOf(page, 'c-green.png').click();
    await page.keyboard.press('t');
    await page.keyboard.type('dusk');
    await page.keyboard.press('Enter');
    const picker = page.getByRole('dialog', { name: 'Tags of this image' });
    await picker.getByRole('option', { name: /dusk/, selected: true }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Escape');
    await picker.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.getByRole('menuitem', { name: /^Send to Roboflow/ }).click();
    const send = page.getByRole('dialog', { name: 'Send to Roboflow' });
    await send.waitFor({ timeout: 10_000 });
    await send.getByRole('radio', { name: 'All' }).check();
    await send.getByLabel('Tagged').selectOption('dusk');
    await send.getByRole('checkbox', { name: /model's prediction/ }).check();
    await send.getByRole('checkbox', { name: /tag list of each image/ }).check();
    expect(await seriousViolations(page)).toEqual([]);
    const button = send.getByRole('button', { name: 'Send 1 image' });
    await expect.poll(() => button.isEnabled(), { timeout: 15_000 }).toBe(true);
    await button.click();
    await expect.poll(() => send.getByTestId('send-progress').textContent(), { timeout: 15_000 }).toMatch(/Sent 1 image/);
    expect(scene.peer.dataset.images()).toHaveLength(1);
    expect(scene.peer.dataset.byName('colors', 'c-green.png')?.tags).toEqual(['colors-1', 'dusk']);
    await page.keyboard.press('Escape');
    await send.waitFor({ state: 'detached' });
  });

  it('keeps tags and notes over a restart and exports them as JSON fields', async () => {
    await page.close();
    await scene.restartHost();
    page = await scene.openPage();
    await page.getByRole('gridcell').first().waitFor({ timeout: 10_000 });
    await expect.poll(() => facetCount(page, '<b>second look</b>'), { timeout: 20_000 }).toBe(2);
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.getByRole('menuitem', { name: /^JSON/ }).click();
    // The notice, not the status bar's "Exporting JSON" (shown while a slow export runs): only the
    // notice says the file is written.
    await ui(page).messages('Exported 3 images').waitFor({ timeout: 15_000 });
    const file = (await readdir(scene.exportDir)).find((name) => name.endsWith('.json'));
    const doc = JSON.parse(await readFile(path.join(scene.exportDir, file!), 'utf8')) as { images: Array<{ path: string; tags: string[]; note: string | null }> };
    const byPath = new Map(doc.images.map((i) => [i.path, i]));
    expect(byPath.get('a-red.png')).toMatchObject({ tags: ['<b>second look</b>'], note: 'Lens flare, "check"' });
    expect(byPath.get('c-green.png')).toMatchObject({ tags: ['dusk'], note: null });
    expect(byPath.get('b-blue.png')).toMatchObject({ tags: ['<b>second look</b>'], note: null });
    expect(problems).toEqual([]);
  });
});
