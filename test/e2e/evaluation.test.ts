import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPeerKey, type Peer } from '../peer/server';
import { cellOf, configureInSettings, solidImage, screenshotForPeople } from './fixtures';
import { runUntilLabelled } from './run-labels';
import { startScene, type Scene } from './scene';
import { ui } from './app-page';

// Evaluation in real Chromium through the browser host against the Roboflow test peer: ground
// truth from class-named folders (one image deliberately in the wrong folder, one folder named
// like no class), the evaluation panel's numbers and matrix, click-through from a matrix cell to
// exactly its images, corrections by key with undo/redo, the exports, and corrections and the name
// mapping surviving a restart of the host.

// The peer's colors/1 model classifies by dominant colour (classes blue, green, red).
const images: Array<[rel: string, rgb: [number, number, number]]> = [
  ['red/r1.png', [230, 30, 30]],
  ['red/r2.png', [200, 60, 60]],
  ['red/oops green.png', [30, 200, 40]], // a green image filed under red/: the one mistake
  ['green/g1.png', [30, 200, 40]],
  ['green/g2.png', [70, 180, 90]],
  ['blue/b1.png', [30, 40, 220]],
  ['blue/deep/b2.png', [20, 20, 160]], // nested: the nearest class-named folder wins
  ['misc/m1.png', [40, 40, 200]], // "misc" names no class: unlabelled until mapped
];

let scene: Scene;
let peer: Peer;
let page: Page;
let exportDir: string;
let problems: string[];

const panel = () => ui(page).evaluation;
const accuracy = () => panel().getByTestId('accuracy');
const matrixCell = (name: string) => panel().getByRole('button', { name, exact: true });

beforeAll(async () => {
  scene = await startScene({
    name: 'eval',
    keyring: true,
    folder: async (folder) => {
      for (const [rel, rgb] of images) {
        const file = path.join(folder, rel);
        await mkdir(path.dirname(file), { recursive: true });
        await solidImage(64, 64, rgb).png().toFile(file);
      }
    },
    settings: (peer) => ({ platformApiUrl: peer.url }),
  });
  ({ peer, page, exportDir, problems } = scene);
});

afterAll(() => scene?.close());

describe('evaluating a model on class-named folders', () => {
  it('classifies the folder and marks every tile with its true label', async () => {
    await ui(page).tiles.first().waitFor();
    await configureInSettings(page, { url: peer.url, model: 'colors/1', key: defaultPeerKey });
    await runUntilLabelled(page, images.map(([rel]) => rel));
    await expect.poll(() => cellOf(page, 'red/r1.png').getAttribute('aria-label'), { timeout: 15_000 }).toMatch(/^r1\.png, red \S+%, truth: red$/);
    expect(await cellOf(page, 'red/oops green.png').getAttribute('aria-label')).toMatch(/^oops green\.png, green \S+%, truth: red$/);
    expect(await cellOf(page, 'blue/deep/b2.png').getAttribute('aria-label')).toMatch(/, truth: blue$/);
    expect(await cellOf(page, 'misc/m1.png').getAttribute('aria-label')).not.toContain('truth:');
  });

  it('shows accuracy, the images it could not judge and the confusion matrix', async () => {
    await ui(page).evaluateButton.click();
    await panel().waitFor();
    // 7 labelled images, 6 right; misc/m1.png has no label and is counted apart.
    await expect.poll(() => accuracy().textContent(), { timeout: 15_000 }).toBe('85.7%');
    expect(await panel().getByText('6 of 7 images right', { exact: false }).count()).toBe(1);
    expect(await panel().getByRole('list', { name: 'Not evaluated' }).textContent()).toMatch(/1\s*No label/);
    expect(await matrixCell('true red, predicted red: 2 images').count()).toBe(1);
    expect(await matrixCell('true red, predicted green: 1 image').count()).toBe(1);
    expect(await matrixCell('true green, predicted green: 2 images').count()).toBe(1);
    expect(await matrixCell('true blue, predicted blue: 2 images').count()).toBe(1);
    expect(await matrixCell('true blue, predicted red: 0 images').isDisabled()).toBe(true);
    // Per class: red is found 2 times out of 3.
    const redRow = panel().getByRole('table', { name: 'Per-class metrics' }).getByRole('row', { name: /^red\b/ });
    expect(await redRow.textContent()).toMatch(/100\.0%\s*66\.7%\s*80\.0%\s*3/);

    // The unmatched folder is offered in the mapping editor, and ignoring it moves it to the mapped list.
    const mapMisc = panel().getByRole('combobox', { name: 'Map “misc” to' });
    await mapMisc.waitFor();
    await mapMisc.selectOption({ label: 'Ignore (no label)' });
    await panel().getByRole('list', { name: 'Mapped names' }).getByText('ignored').waitFor();
    await expect.poll(() => mapMisc.count()).toBe(0);

    // Row-normalised values.
    await panel().getByRole('button', { name: 'Row %' }).click();
    expect(await matrixCell('true red, predicted green: 1 image (33.3% of red)').textContent()).toContain('33.3%');
    await panel().getByRole('button', { name: 'Counts' }).click();

    await screenshotForPeople(page, 'evaluation.png');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshotForPeople(page, 'evaluation-dark.png');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('updates live with the threshold', async () => {
    const slider = ui(page).threshold;
    await slider.fill('100');
    // Nothing reaches 100 %: every labelled image has no prediction and counts as wrong.
    await expect.poll(() => accuracy().textContent()).toBe('0.0%');
    expect(await matrixCell('true red, no prediction: 3 images').count()).toBe(1);
    await slider.fill('40');
    await expect.poll(() => accuracy().textContent()).toBe('85.7%');
  });

  it('sorts mistakes first', async () => {
    const sort = ui(page).sortBy;
    await sort.selectOption('mistakes');
    await expect.poll(() => ui(page).tiles.first().getAttribute('aria-label')).toMatch(/^oops green\.png,/);
    await sort.selectOption('name');
    await expect.poll(() => ui(page).tiles.first().getAttribute('aria-label')).toMatch(/^b1\.png,/);
  });

  it('filters the grid to exactly the images of a matrix cell', async () => {
    await matrixCell('true red, predicted green: 1 image').click();
    await expect.poll(() => ui(page).tiles.count()).toBe(1);
    expect(await ui(page).tiles.getAttribute('aria-label')).toMatch(/^oops green\.png, green \S+%, truth: red$/);
    const chip = page.getByRole('status', { name: 'Matrix cell filter' });
    expect(await chip.textContent()).toContain('true red → predicted green');
    await screenshotForPeople(page, 'evaluation-cell.png');
  });

  it('corrects a label with a number key, flags it, and undoes and redoes', async () => {
    const tile = cellOf(page, 'red/oops green.png');
    await tile.click();
    // Classes in list order: 1 blue, 2 green, 3 red.
    await page.keyboard.press('2');
    await expect.poll(() => tile.getAttribute('aria-label')).toMatch(/, truth: green \(corrected\)$/);
    await expect.poll(() => accuracy().textContent()).toBe('100.0%');
    await page.keyboard.press('f');
    await expect.poll(() => tile.getAttribute('aria-label')).toMatch(/, truth: green \(corrected\), flagged$/);
    await page.keyboard.press('Control+z');
    await expect.poll(() => tile.getAttribute('aria-label')).toMatch(/, truth: green \(corrected\)$/);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => tile.getAttribute('aria-label')).toMatch(/, flagged$/);

    // The same keys work in the image view, which shows the truth and the correction.
    await tile.dblclick();
    const dialog = ui(page).dialog('oops green.png');
    await dialog.getByText('Corrected to').waitFor();
    expect(await dialog.getByText('The folder says red.').count()).toBe(1);
    await page.keyboard.press('3');
    await expect.poll(() => dialog.getByRole('button', { name: /red/, pressed: true }).count()).toBe(1);
    await screenshotForPeople(page, 'evaluation-detail.png');
    await page.keyboard.press('Control+z');
    await expect.poll(() => dialog.getByRole('button', { name: /green/, pressed: true }).count()).toBe(1);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await tile.getAttribute('aria-label')).toMatch(/, truth: green \(corrected\), flagged$/);

    // The chip clears the cell filter.
    await page.getByRole('button', { name: /^Clear the filter true red/ }).click();
    await expect.poll(() => ui(page).tiles.count()).toBe(images.length);
  });

  it('exports the evaluation report and the corrected labels', async () => {
    await ui(page).exportAs(/^Evaluation report/);
    await ui(page).messages('Evaluation report').waitFor({ timeout: 15_000 });
    const files = await readdir(exportDir);
    const reportFile = files.find((name) => name.endsWith('-evaluation.json'));
    expect(reportFile).toBeDefined();
    const report = JSON.parse(await readFile(path.join(exportDir, reportFile!), 'utf8')) as {
      format: string;
      accuracy: number;
      confusion: { labels: string[]; matrix: number[][] };
      unlabeled: number;
    };
    expect(report.format).toBe('classify-desk-eval/v2');
    // The correction counts: oops green.png is truly green now. misc is ignored, so unlabelled.
    expect(report.accuracy).toBe(1);
    expect(report.unlabeled).toBe(1);
    expect(report.confusion.labels).toEqual(['blue', 'green', 'red']);
    expect(files.some((name) => name.endsWith('-evaluation-confusion.csv'))).toBe(true);

    await ui(page).exportAs('Corrected labels (CSV)');
    await ui(page).messages('Labels of').waitFor({ timeout: 15_000 });
    const csvFile = (await readdir(exportDir)).find((name) => name.endsWith('-labels.csv'));
    const csv = await readFile(path.join(exportDir, csvFile!), 'utf8');
    expect(csv).toContain('red/oops green.png,green,correction\r\n');
    expect(csv).toContain('blue/deep/b2.png,blue,truth\r\n');
    // misc is ignored, so its only label is the model's: "Confirmed labels only" leaves it out.
    expect(csv).toMatch(/^misc\/m1\.png,\w+,prediction\r$/m);
    await ui(page).exportAs(/^Confirmed labels only/);
    await expect.poll(async () => (await readFile(path.join(exportDir, csvFile!), 'utf8')) !== csv, { timeout: 15_000 }).toBe(true);
    const confirmed = await readFile(path.join(exportDir, csvFile!), 'utf8');
    expect(confirmed).toContain('red/oops green.png,green,correction\r\n');
    expect(confirmed).not.toContain('misc/m1.png');
  });

  it('keeps the corrections and the name mapping after a restart', async () => {
    await page.close();
    // The file dialog (host option) answers the labels CSV the last test writes.
    await scene.restartHost({ pickFile: path.join(exportDir, 'truth.csv') });
    page = await scene.openPage();
    const tile = cellOf(page, 'red/oops green.png');
    await expect.poll(() => tile.getAttribute('aria-label'), { timeout: 20_000 }).toMatch(/^oops green\.png, green \S+%, truth: green \(corrected\), flagged$/);
    await tile.click();
    await page.keyboard.press('e');
    await expect.poll(() => accuracy().textContent(), { timeout: 15_000 }).toBe('100.0%');
    // "misc" stays ignored: main kept the mapping (the new page has a fresh localStorage).
    await panel().getByRole('list', { name: 'Mapped names' }).getByText('ignored').waitFor();
    expect(await panel().getByRole('combobox', { name: 'Map “misc” to' }).count()).toBe(0);
  });

  it('takes the truth from a labels CSV instead of the folders, and back', async () => {
    const csvPath = path.join(exportDir, 'truth.csv');
    const rows = images.map(([rel]) => `${rel},${rel === 'misc/m1.png' ? 'blue' : rel.startsWith('red/oops') ? 'green' : rel.split('/')[0]}`);
    await writeFile(csvPath, `path,label\n${rows.join('\n')}\n`);
    await panel().getByRole('button', { name: 'Labels CSV…' }).click();
    // "Choose…" fills the field from the file dialog, over whatever was typed.
    const field = panel().getByRole('textbox', { name: /A CSV of path,label rows/ });
    await field.fill('/typed/elsewhere.csv');
    await panel().getByRole('button', { name: 'Choose…' }).click();
    await expect.poll(() => field.inputValue()).toBe(csvPath);
    await panel().getByRole('button', { name: 'Use', exact: true }).click();
    await expect.poll(() => cellOf(page, 'misc/m1.png').getAttribute('aria-label'), { timeout: 15_000 }).toMatch(/, truth: blue$/);
    await expect.poll(() => panel().getByText('8 of 8 images right', { exact: false }).count()).toBe(1);
    expect(await panel().getByRole('list', { name: 'Not evaluated' }).count()).toBe(0);
    await panel().getByRole('button', { name: 'Use folder names' }).click();
    await expect.poll(() => cellOf(page, 'misc/m1.png').getAttribute('aria-label')).not.toContain('truth:');
    expect(problems).toEqual([]);
  });
});
