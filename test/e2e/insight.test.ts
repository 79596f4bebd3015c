import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { singleLabelScores } from '../peer/classify';
import { seriousViolations } from './axe';
import { cellOf } from './fixtures';
import { runUntilLabelled } from './run-labels';
import { startColourScene, type Scene } from './scene';

// Finding mistakes fast in real Chromium through the browser host: the sidebar's confidence
// histogram filters the grid by a brushed range (mouse and keyboard), the evaluation panel's sweep
// sets the threshold by click and keys, a class's own threshold (PR curve) changes its badges and
// the metrics and is saved, and Export… → Report (HTML) writes a page that renders offline.

// The peer's colors/1 model scores by dominant colour (classes blue, green, red).
const hostile = '<img src=x onerror=alert(1)> & q.png';
const images: Array<[rel: string, rgb: [number, number, number]]> = [
  ['red/r1.png', [230, 30, 30]],
  ['red/r2.png', [200, 60, 60]],
  ['red/oops green.png', [30, 200, 40]], // a mistake: green image under red/
  ['green/g1.png', [30, 200, 40]],
  ['blue/b1.png', [30, 40, 220]],
  [`blue/${hostile}`, [230, 30, 30]], // a mistake with a hostile name
  ['green/unsure.png', [150, 140, 40]], // a low-confidence one
];
const topOf = (rgb: [number, number, number]) => Math.max(...singleLabelScores(rgb.map((v) => v / 255)).map(([, s]) => s));
const tops = images.map(([, rgb]) => topOf(rgb));

let scene: Scene;
let page: Page;
let problems: string[];

const histogram = () => page.getByTestId('confidence-histogram');
const cells = () => page.getByRole('gridcell').count();
const sidebarThreshold = () => page.getByRole('slider', { name: 'Threshold', exact: true }).inputValue();

beforeAll(async () => {
  scene = await startColourScene({ name: 'insight', images, settings: { threshold: 0.5 } });
  ({ page, problems } = scene);
});

afterAll(() => scene?.close());

it('classifies the folder', async () => {
  await runUntilLabelled(page, images.map(([rel]) => rel));
});

describe('confidence histogram', () => {
  it('filters the grid to a range brushed with the mouse', async () => {
    await histogram().scrollIntoViewIfNeeded();
    const box = (await histogram().boundingBox())!;
    // From the middle of bin 18 (0.90-0.95) to the right edge: confidence 0.9 and up.
    const xOf = (bin: number) => box.x + 2 + ((bin + 0.5) / 20) * (box.width - 4);
    await page.mouse.move(xOf(18), box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(xOf(19), box.y + box.height / 2, { steps: 3 });
    await page.mouse.up();
    const confident = tops.filter((t) => t >= 0.9).length;
    expect(confident).toBeGreaterThan(0);
    expect(confident).toBeLessThan(images.length);
    await expect.poll(cells).toBe(confident);
    expect(await histogram().getAttribute('aria-valuetext')).toBe(`Confidence 90% to 100%: ${confident} of ${images.length} images`);
  });

  it('moves, resizes and clears the range with the keyboard', async () => {
    await histogram().focus();
    // Left: the range 0.85-0.95 (one bin down, same width).
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => histogram().getAttribute('aria-valuetext')).toMatch(/^Confidence 85% to 95%/);
    await expect.poll(cells).toBe(tops.filter((t) => t >= 0.85 && t < 0.95).length);
    // Shift+Right grows the upper end back to 1.
    await page.keyboard.press('Shift+ArrowRight');
    await expect.poll(() => histogram().getAttribute('aria-valuetext')).toMatch(/^Confidence 85% to 100%/);
    await page.keyboard.press('Home');
    await expect.poll(cells).toBe(images.length);
    await page.keyboard.press('Escape');
    await expect.poll(() => histogram().getAttribute('aria-valuetext')).toBe(`No range brushed: ${images.length} images`);
    // Per class on demand: only images whose top class is green.
    await page.getByRole('combobox', { name: 'Histogram class' }).selectOption('green');
    await expect.poll(() => page.getByTestId('histogram-summary').textContent()).toContain('for green');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('combobox', { name: 'Histogram class' }).selectOption('');
  });
});

describe('threshold sweep and per-class thresholds', () => {
  const panel = () => page.getByRole('complementary', { name: 'Evaluation' });
  const sweep = () => panel().getByTestId('threshold-sweep');
  const curve = () => panel().getByTestId('pr-curve');

  it('sets the threshold by clicking a point of the sweep, and with the arrow keys', async () => {
    await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
    await sweep().waitFor({ timeout: 15_000 });
    await expect.poll(() => sweep().getAttribute('aria-valuenow')).toBe('50');
    await sweep().scrollIntoViewIfNeeded();
    const box = (await sweep().boundingBox())!;
    // The plot spans x 30..394 of a 400-wide view box: threshold 0.8 sits at 30 + 0.8 * 364.
    await page.mouse.click(box.x + ((30 + 0.8 * 364) / 400) * box.width, box.y + box.height / 2);
    await expect.poll(sidebarThreshold).toBe('80');
    expect(await sweep().getAttribute('aria-valuenow')).toBe('80');
    await sweep().focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(sidebarThreshold).toBe('79');
    await page.keyboard.press('PageDown');
    await page.keyboard.press('PageDown');
    await page.keyboard.press('PageDown');
    await expect.poll(sidebarThreshold).toBe('49');
    await page.keyboard.press('ArrowRight');
    await expect.poll(sidebarThreshold).toBe('50');
    expect(await sweep().getAttribute('aria-valuetext')).toMatch(/^Threshold 50%: accuracy \S+%/);
  });

  it('gives a class its own threshold from its PR curve: badges, metrics and settings follow', async () => {
    const accuracyBefore = await panel().getByTestId('accuracy').textContent();
    await panel().getByRole('combobox', { name: 'Precision-recall class' }).selectOption('blue');
    await curve().scrollIntoViewIfNeeded();
    await curve().focus();
    // End: blue's own threshold is 100%, which no blue score reaches.
    await page.keyboard.press('End');
    await expect.poll(() => cellOf(page, 'blue/b1.png').getAttribute('aria-label')).toMatch(/, below threshold/);
    expect(await cellOf(page, 'red/r1.png').getAttribute('aria-label')).not.toMatch(/below threshold/);
    await expect.poll(() => panel().getByTestId('accuracy').textContent()).not.toBe(accuracyBefore);
    await expect.poll(() => page.evaluate(async () => Object.values((await window.api.getSettings({})).classThresholds))).toEqual([{ blue: 1 }]);
    const own = () => panel().getByTestId('class-threshold').textContent();
    await expect.poll(own).toBe('Own threshold 100%.');
    expect(await seriousViolations(page)).toEqual([]);
    // Back to the default.
    await panel().getByRole('button', { name: 'Use the default' }).click();
    await expect.poll(() => cellOf(page, 'blue/b1.png').getAttribute('aria-label')).not.toMatch(/below threshold/);
    await expect.poll(() => panel().getByTestId('accuracy').textContent()).toBe(accuracyBefore);
    // A click on the curve sets it again (the nearest point).
    const box = (await curve().boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await expect.poll(own).toMatch(/^Own threshold \d+%\.$/);
    await panel().getByRole('button', { name: 'Use the default' }).click();
    await expect.poll(own).toBe('Follows the default threshold.');
  });
});

describe('HTML report', () => {
  it('exports one page that renders with no network request, names escaped', async () => {
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.getByRole('menuitem', { name: /^Report \(HTML\)/ }).click();
    await page.getByRole('status').filter({ hasText: 'HTML report' }).waitFor({ timeout: 15_000 });
    const file = (await readdir(scene.exportDir)).find((name) => name.endsWith('-report.html'));
    expect(file).toBeDefined();
    const html = await readFile(path.join(scene.exportDir, file!), 'utf8');

    const report = await scene.browser.newPage();
    const requests: string[] = [];
    report.on('request', (request) => {
      if (!request.url().startsWith('data:')) requests.push(request.url());
    });
    await report.route('**/*', async (route) => {
      requests.push(route.request().url());
      await route.abort();
    });
    let dialogs = 0;
    report.on('dialog', (dialog) => {
      dialogs++;
      void dialog.dismiss();
    });
    await report.setContent(html, { waitUntil: 'load' });
    await report.getByRole('heading', { name: 'Evaluation of colors/1' }).waitFor();
    await report.getByRole('heading', { name: 'Threshold sweep' }).waitFor();
    expect(await report.getByRole('img', { name: /^Accuracy and macro precision/ }).count()).toBe(1);
    expect(await report.getByRole('heading', { name: /^Confusion matrix/ }).count()).toBe(1);
    expect(await report.getByRole('row', { name: /^blue\b/ }).count()).toBeGreaterThan(0);
    // The two mistakes, the hostile name shown as text, with their thumbnails decoded.
    await report.getByText(`blue/${hostile}`, { exact: true }).waitFor();
    await report.getByText('red/oops green.png', { exact: true }).waitFor();
    // Every listed mistake (these two, and the unsure image below the threshold) has its thumbnail.
    const listed = await report.locator('ul.mistakes > li').count();
    expect(listed).toBeGreaterThanOrEqual(2);
    const decoded = await report.evaluate(() => Array.from(document.images).filter((img) => img.complete && img.naturalWidth > 0).length);
    expect(decoded).toBe(listed);
    expect(dialogs).toBe(0);
    expect(requests).toEqual([]);
    await report.close();
    expect(problems).toEqual([]);
  });
});
