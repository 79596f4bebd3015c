import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPeerKey, type Peer } from '../peer/server';
import { cellOf, configureInSettings, solidImage } from './fixtures';
import { runUntilLabelled } from './run-labels';
import { startScene, type Scene } from './scene';
import { ui } from './app-page';

// Sending corrected images back to the Roboflow project, in real Chromium through the browser host
// against the test peer: correct a label, send it from the dialog, and check what the peer's
// project holds (bytes, label, split, batch, tags); a second send has nothing new; the project
// check refuses a detection project; the rest of the folder goes with its folder labels.

const images: Array<[rel: string, rgb: [number, number, number]]> = [
  ['red/r1.png', [230, 30, 30]],
  ['red/oops green.png', [30, 200, 40]], // a green image filed under red/: corrected to green
  ['green/g1.png', [40, 190, 50]], // not the same bytes as the one above (that would be a duplicate)
  ['blue/b1.png', [30, 40, 220]],
];

let scene: Scene;
let peer: Peer;
let page: Page;
let problems: string[];

const dialog = () => ui(page).dialog('Send to Roboflow');
const summary = () => dialog().getByTestId('send-summary');

async function openSend(): Promise<void> {
  await ui(page).exportAs(/^Send to Roboflow/);
  await dialog().waitFor();
}

beforeAll(async () => {
  scene = await startScene({
    name: 'send',
    keyring: true,
    folder: async (folder) => {
      for (const [rel, rgb] of images) {
        const file = path.join(folder, rel);
        await mkdir(path.dirname(file), { recursive: true });
        await solidImage(48, 48, rgb).png().toFile(file);
      }
    },
    settings: (peer) => ({ platformApiUrl: peer.url }),
  });
  ({ peer, page, problems } = scene);
});

afterAll(() => scene?.close());

describe('sending reviewed images to Roboflow', () => {
  it('classifies the folder and corrects one label', async () => {
    await ui(page).tiles.first().waitFor();
    await configureInSettings(page, { url: peer.url, model: 'colors/1', key: defaultPeerKey });
    await runUntilLabelled(page, images.map(([rel]) => rel));
    const tile = cellOf(page, 'red/oops green.png');
    await tile.click();
    // Classes in list order: 1 blue, 2 green, 3 red.
    await page.keyboard.press('2');
    await tile.dblclick();
    const detail = ui(page).dialog('oops green.png');
    await detail.getByText('Corrected to').waitFor();
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
  });

  it('sends the corrected image with its label, split, batch and tags; the project holds exactly that', async () => {
    await openSend();
    await expect.poll(() => summary().textContent(), { timeout: 15_000 }).toMatch(/1 image\s*to send to test-workspace\/colors:\s*1 with your correction/);
    await dialog().getByLabel('Split').selectOption('valid');
    await dialog().getByLabel('Batch').fill('E2E batch');
    await dialog().getByLabel('Tags').fill('colors-1, desk');
    const send = dialog().getByRole('button', { name: 'Send 1 image' });
    await expect.poll(() => send.isEnabled(), { timeout: 15_000 }).toBe(true);
    await send.click();
    await expect.poll(() => dialog().getByTestId('send-progress').textContent(), { timeout: 15_000 }).toMatch(/Sent 1 image to colors/);

    const held = peer.dataset.images('colors');
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ name: 'red_oops green.png', labels: ['green'], split: 'valid', batch: 'E2E batch', tags: ['colors-1', 'desk'], predictionFlag: false });
    expect(held[0].bytes.equals(await readFile(path.join(scene.folder, 'red/oops green.png')))).toBe(true);

    await dialog().getByRole('button', { name: 'Close' }).click();
    await dialog().waitFor({ state: 'detached' });
    // The tile says it was sent, and the "Sent to Roboflow" filter finds it (and the others).
    await expect.poll(() => cellOf(page, 'red/oops green.png').getAttribute('aria-label'), { timeout: 10_000 }).toMatch(/, sent to Roboflow$/);
    expect(await cellOf(page, 'red/r1.png').getAttribute('aria-label')).not.toContain('sent to Roboflow');
    const filter = page.getByRole('combobox', { name: 'Sent to Roboflow' });
    await filter.selectOption('sent');
    await expect.poll(() => ui(page).tiles.count()).toBe(1);
    await filter.selectOption('not-sent');
    await expect.poll(() => ui(page).tiles.count()).toBe(images.length - 1);
    await filter.selectOption('all');
    await expect.poll(() => ui(page).tiles.count()).toBe(images.length);
    // The image view says it was sent.
    await cellOf(page, 'red/oops green.png').dblclick();
    const detail = ui(page).dialog('oops green.png');
    await expect.poll(() => detail.getByTestId('sent-mark').textContent(), { timeout: 10_000 }).toMatch(/Sent to colors \(valid\) as green · E2E batch/);
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
  });

  it('a second send has nothing new to send', async () => {
    await openSend();
    await expect.poll(() => summary().textContent(), { timeout: 15_000 }).toMatch(/0 images\s*to send/);
    expect(await dialog().getByText('1 image already sent').count()).toBe(1);
    expect(await dialog().getByRole('button', { name: 'Send', exact: true }).isDisabled()).toBe(true);
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'detached' });
  });

  it('refuses a detection project, then sends the whole folder with its folder labels', async () => {
    // Nothing selected: the whole folder.
    await page.keyboard.press('Escape');
    await openSend();
    await dialog().getByLabel('From').selectOption('folder');
    await dialog().getByRole('radio', { name: 'All' }).check();
    await dialog().getByRole('textbox', { name: 'Project' }).fill('traffic-signs');
    await expect.poll(() => dialog().getByRole('alert').first().textContent(), { timeout: 15_000 }).toMatch(/object-detection project/);
    expect(await dialog().getByRole('button', { name: /^Send/ }).isDisabled()).toBe(true);

    await dialog().getByRole('textbox', { name: 'Project' }).fill('colors');
    await expect.poll(() => summary().textContent(), { timeout: 15_000 }).toMatch(/3 images\s*to send to test-workspace\/colors:\s*3 with the folder \/ CSV truth/);
    await dialog().getByRole('button', { name: 'Send 3 images' }).click();
    await expect.poll(() => dialog().getByTestId('send-progress').textContent(), { timeout: 15_000 }).toMatch(/Sent 3 images/);
    await dialog().getByRole('button', { name: 'Close' }).click();

    const labels = Object.fromEntries(peer.dataset.images('colors').map((i) => [i.name, i.labels]));
    expect(labels).toEqual({ 'red_oops green.png': ['green'], 'red_r1.png': ['red'], 'green_g1.png': ['green'], 'blue_b1.png': ['blue'] });
    expect(peer.dataset.stats.uploads).toBe(4);
    expect(problems).toEqual([]);
  });
});
