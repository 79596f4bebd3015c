import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../app/format';
import { defaultPeerKey, type Peer } from '../peer/server';
import { seriousViolations } from './axe';
import { cellOf, solidImage, screenshotForPeople } from './fixtures';
import { runUntilLabelled } from './run-labels';
import { startScene, type Scene } from './scene';
import { ui } from './app-page';

// The rough edges a new user hit, keyboard first, in real Chromium through the browser host: Escape
// in the search box, focus coming back from every dialog, the toolbar at 1024×640, the sidebar with
// model comparison, changing the endpoint, counts and truth marks that follow the threshold, one
// highlighted image, export notices, typing a folder in the host, and file names under tiles.

// The peer's colors/1 model classifies by dominant colour; the pale blue scores lowest of the blues.
const images: Array<[rel: string, rgb: [number, number, number]]> = [
  ...Array.from({ length: 8 }, (_, i) => [`green/green_00${i + 1}.png`, [30, 180 + i * 5, 40]] as [string, [number, number, number]]),
  ['red/red_001.png', [230, 30, 30]],
  ['red/red_002.png', [200, 60, 60]],
  ['blue/blue_001.png', [30, 40, 220]],
  ['blue/pale.png', [120, 125, 170]],
];
const total = images.length;

let scene: Scene;
let peer: Peer;
let page: Page;
let problems: string[];

const summary = () => ui(page).summary;
const focusedName = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent?.trim() ?? null);
const focusedTag = () => page.evaluate(() => document.activeElement?.tagName.toLowerCase() ?? null);

beforeAll(async () => {
  scene = await startScene({
    name: 'polish',
    bypassCSP: true,
    folder: async (folder) => {
      for (const [rel, rgb] of images) {
        const file = path.join(folder, rel);
        await mkdir(path.dirname(file), { recursive: true });
        await solidImage(48, 48, rgb).png().toFile(file);
      }
    },
    settings: (peer) => ({ platformApiUrl: peer.url, endpointKind: 'self-hosted', endpointUrl: peer.url, model: 'colors/1', concurrency: 4 }),
    ignoreConsole: (message) => message.location().url.endsWith('/favicon.ico'),
  });
  ({ peer, page, problems } = scene);
  await ui(page).tiles.first().waitFor();
  await page.evaluate((key) => window.api.setApiKey({ key, sessionOnly: true }), defaultPeerKey);
});

afterAll(() => scene?.close());

it('classifies the folder', async () => {
  await runUntilLabelled(page, images.map(([rel]) => rel));
  await summary().waitFor({ timeout: 30_000 });
});

describe('search and Escape', () => {
  it('clears the filter on Escape after "/" and gives focus back to the grid', async () => {
    await cellOf(page, 'red/red_001.png').click();
    await page.keyboard.press('/');
    await page.keyboard.type('green_00');
    await expect.poll(() => summary().textContent()).toMatch(new RegExp(`8 of ${total} images shown`));
    await page.keyboard.press('Escape');
    expect(await ui(page).search.inputValue()).toBe('');
    await expect.poll(focusedName).toMatch(/\.png, /);
    await expect.poll(() => summary().textContent()).toMatch(new RegExp(`^${total} images`));
    expect(await ui(page).tiles.count()).toBe(total);
  });

  it('clears it the same way when the box was clicked', async () => {
    await ui(page).search.click();
    await page.keyboard.type('red_');
    await expect.poll(() => summary().textContent()).toMatch(new RegExp(`2 of ${total} images shown`));
    await page.keyboard.press('Escape');
    await expect.poll(() => summary().textContent()).toMatch(new RegExp(`^${total} images`));
    expect(await focusedTag()).toBe('div');
  });
});

describe('focus comes back from every dialog', () => {
  it('the shortcuts list returns focus to the tile, and arrows work at once', async () => {
    await cellOf(page, 'green/green_002.png').click();
    await page.keyboard.press('?');
    await ui(page).shortcuts.waitFor();
    await page.keyboard.press('Escape');
    await ui(page).dialogs.waitFor({ state: 'detached' });
    await expect.poll(focusedName).toMatch(/^green_002\.png/);
    await page.keyboard.press('ArrowRight');
    await expect.poll(focusedName).toMatch(/^green_003\.png/);
  });

  it('Settings returns focus to the button that opened it', async () => {
    await ui(page).settingsButton.click();
    await ui(page).settings.waitFor();
    await page.keyboard.press('Escape');
    await ui(page).dialogs.waitFor({ state: 'detached' });
    await expect.poll(focusedName).toMatch(/Settings/);
  });

  it('the image view returns focus to the image shown last', async () => {
    await cellOf(page, 'green/green_004.png').click();
    await page.keyboard.press('Enter');
    await ui(page).dialog('green_004.png').waitFor();
    await page.keyboard.press('ArrowRight');
    await ui(page).dialog('green_005.png').waitFor();
    await page.keyboard.press('Escape');
    await ui(page).dialogs.waitFor({ state: 'detached' });
    await expect.poll(focusedName).toMatch(/^green_005\.png/);
  });

  it('the export menu returns focus to its button', async () => {
    await ui(page).exportButton.click();
    await ui(page).exportMenu.waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'detached' });
    await expect.poll(focusedName).toMatch(/^Export/);
  });
});

describe('one highlighted image', () => {
  it('moves the highlight with the arrows, and the details pane shows that image', async () => {
    await cellOf(page, 'red/red_001.png').click();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => cellOf(page, 'red/red_002.png').getAttribute('aria-selected')).toBe('true');
    expect(await cellOf(page, 'red/red_001.png').getAttribute('aria-selected')).toBe('false');
    expect(await ui(page).details.getByRole('heading').first().textContent()).toBe('red_002.png');
  });

  it('shows its size as the disk has it now, and its size and date in the full view', async () => {
    const file = path.join(scene.folder, 'red/red_001.png');
    // Rewritten after the folder was read: the details read the file when they show it.
    await writeFile(file, await solidImage(64, 64, [230, 30, 30]).png().toBuffer());
    const st = await stat(file);
    await cellOf(page, 'red/red_001.png').click();
    await ui(page).details.getByText(`red · ${formatBytes(st.size)}`).waitFor();
    await page.keyboard.press('Enter');
    const full = ui(page).dialog('red_001.png');
    const modified = await page.evaluate((ms) => new Date(ms).toLocaleString(), st.mtimeMs);
    await full.getByText(modified).waitFor();
    expect(await full.getByText(formatBytes(st.size), { exact: true }).count()).toBe(1);
    await page.keyboard.press('Escape');
    await ui(page).dialogs.waitFor({ state: 'detached' });
  });
});

describe('layout at 1024×640', () => {
  it('shows the whole model name in the toolbar and nothing in it is cut', async () => {
    await page.setViewportSize({ width: 1024, height: 640 });
    const toolbar = page.locator('header.toolbar');
    await screenshotForPeople(toolbar, 'toolbar-1024.png');
    const cut = await toolbar.evaluate((bar) => {
      const out: string[] = [];
      if (bar.scrollWidth > bar.clientWidth + 1) out.push(`toolbar ${bar.scrollWidth} > ${bar.clientWidth}`);
      const right = bar.getBoundingClientRect().right;
      for (const el of bar.querySelectorAll<HTMLElement>('button, strong')) {
        if (el.closest('.path')) continue;
        if (el.scrollWidth > el.clientWidth + 1) out.push(`${el.textContent?.trim()}: ${el.clientWidth} of ${el.scrollWidth}px`);
        if (el.getBoundingClientRect().right > right + 1) out.push(`${el.textContent?.trim()} is outside the toolbar`);
      }
      return out;
    });
    expect(cut).toEqual([]);
    expect(await page.getByRole('button', { name: /Model\s+colors\/1/ }).isVisible()).toBe(true);
  });

  it('keeps the sidebar within its width with model comparison', async () => {
    await page.setViewportSize({ width: 1024, height: 640 });
    const sidebar = page.locator('aside.sidebar');
    const overflow = () => sidebar.evaluate((aside) => aside.scrollWidth - aside.clientWidth);
    const section = ui(page).compare;
    // A long project name, as real ones are.
    await page.evaluate(() => window.api.setSettings({ compareModel: 'westernpalearcticbirdspecies2024/12' }));
    await page.reload();
    await expect.poll(() => section.textContent(), { timeout: 15_000 }).toMatch(/0 of \d+ images classified by/);
    await screenshotForPeople(sidebar, 'sidebar-compare-long-1024.png');
    expect(await overflow()).toBeLessThanOrEqual(0);

    await page.evaluate(() => window.api.setSettings({ compareModel: 'colors/3' }));
    await page.reload();
    await section.getByRole('button', { name: 'Run comparison' }).waitFor();
    await section.getByRole('button', { name: 'Run comparison' }).click();
    await expect.poll(() => section.textContent(), { timeout: 30_000 }).toMatch(new RegExp(`${total} of ${total} images classified by colors/3`));
    await sidebar.evaluate((aside) => aside.scrollTo(0, aside.scrollHeight));
    await ui(page).evaluateButton.click();
    const panel = ui(page).evaluation;
    await panel.getByTestId('accuracy').waitFor({ timeout: 15_000 });
    await screenshotForPeople(page, 'compare-1024.png');
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('aside')].filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => `${el.getAttribute('aria-label')}: ${el.scrollWidth} > ${el.clientWidth}`),
    );
    await ui(page).evaluateButton.click();
    expect(wide).toEqual([]);
    // The details pane beside the grid shows both models too.
    const show = page.getByRole('button', { name: 'Show details' });
    if (await show.count()) await show.click();
    await cellOf(page, 'blue/pale.png').click();
    await ui(page).details.getByText('colors/3').first().waitFor();
    await screenshotForPeople(page, 'compare-details-1024.png');
    const wideDetails = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('aside, aside *')].filter((el) => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible').map((el) => `${el.className}: ${el.scrollWidth} > ${el.clientWidth}`),
    );
    expect(wideDetails).toEqual([]);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});

describe('counts and truth follow the threshold', () => {
  it('drops an image below the threshold from its class count and calls it "no prediction"', async () => {
    const label = (await cellOf(page, 'blue/pale.png').getAttribute('aria-label')) ?? '';
    const blueOption = page.getByRole('group', { name: 'Classes' }).locator('label').filter({ hasText: /^\s*blue\b/ });
    const blueCount = async () => ((await blueOption.count()) === 0 ? 0 : Number(/(\d+)\s*$/.exec((await blueOption.textContent()) ?? '')?.[1] ?? NaN));
    expect(await blueCount()).toBe(2);
    expect(label).toMatch(/^pale\.png, blue (\d+)%, truth: blue$/);
    const percent = Number(/blue (\d+)%/.exec(label)![1]);
    // Just above the pale image's confidence (74% under 75%).
    await ui(page).threshold.fill(String(percent + 1));
    await expect.poll(() => cellOf(page, 'blue/pale.png').getAttribute('aria-label')).toMatch(/below threshold/);
    await expect.poll(blueCount).toBe(1);
    expect(await summary().textContent()).toMatch(/blue 1\b/);
    await cellOf(page, 'blue/pale.png').click();
    const details = ui(page).details;
    await details.getByText('no prediction at this threshold', { exact: false }).waitFor();
    expect(await details.getByText('prediction differs').count()).toBe(0);
    await ui(page).threshold.fill('40');
    await expect.poll(blueCount).toBe(2);
  });
});

describe('notices', () => {
  it('an export notice does not take focus and goes away by itself', async () => {
    const button = ui(page).exportButton;
    await button.click();
    await ui(page).menuItem(/^CSV/).click();
    const notice = ui(page).messages('Exported');
    await notice.waitFor({ timeout: 15_000 });
    expect(await focusedName()).toMatch(/^Export/);
    await notice.waitFor({ state: 'detached', timeout: 30_000 });
    expect(await focusedName()).toMatch(/^Export/);
  });

  it('changing the endpoint says where the results went, and offers the way back', async () => {
    await ui(page).settingsButton.click();
    const dialog = ui(page).settings;
    await dialog.getByLabel('Endpoint URL').fill(peer.url.replace('127.0.0.1', 'localhost'));
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const banner = ui(page).messages('Results are kept per endpoint and model');
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.textContent()).toContain(`${total} results for the previous endpoint`);
    await expect.poll(() => cellOf(page, 'red/red_001.png').getAttribute('aria-label')).toMatch(/not classified$/);
    expect(await summary().textContent()).not.toMatch(/last run/);
    expect(await seriousViolations(page)).toEqual([]);
    await banner.getByRole('button', { name: /previous endpoint/ }).click();
    await expect.poll(() => cellOf(page, 'red/red_001.png').getAttribute('aria-label')).toMatch(/, red \S+%/);
    await banner.waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: /Model\s+colors\/1/ }).count()).toBe(1);
  });
});

describe('view options and the host', () => {
  it('shows file names under the tiles when asked (off by default)', async () => {
    const toggle = page.getByRole('button', { name: 'File names' });
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    const caption = () => cellOf(page, 'red/red_001.png').evaluate((cell) => [...cell.querySelectorAll('*')].map((el) => getComputedStyle(el, '::after').content).join(' '));
    expect(await caption()).not.toContain('red_001.png');
    await toggle.click();
    await expect.poll(caption).toContain('"red_001.png"');
    await toggle.click();
  });

  it("the host's Open folder lets a tester type a path", async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'cd-polish-other-'));
    try {
      await solidImage(32, 32, [200, 20, 20]).png().toFile(path.join(other, 'typed.png'));
      page.once('dialog', (dialog) => void dialog.accept(other));
      await ui(page).openFolderButton.click();
      await cellOf(page, 'typed.png').waitFor({ timeout: 15_000 });
      expect(await ui(page).tiles.count()).toBe(1);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
    expect(problems).toEqual([]);
  });
});
