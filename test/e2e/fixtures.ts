import { copyFileSync, existsSync, linkSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContextOptions, ConsoleMessage, Locator, Page } from 'playwright-core';
import sharp, { type Sharp } from 'sharp';

// Image folders for the end-to-end tests and the renderer benchmark, generated with sharp.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Throws unless dist/renderer is built and newer than every renderer source. */
export function assertRendererBuilt(): void {
  const index = path.join(root, 'dist/renderer/index.html');
  if (!existsSync(index)) throw new Error('dist/renderer is not built: run "npx vite build" first (npm test does).');
  const builtAt = statSync(index).mtimeMs;
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((latest, item) => {
      const full = path.join(dir, item.name);
      return Math.max(latest, item.isDirectory() ? newest(full) : statSync(full).mtimeMs);
    }, 0);
  // renderer/ plus every app/ module the bundle contains, as its source map lists them.
  const appModules = rendererBundleSources().filter((file) => file.startsWith(path.join(root, 'app') + path.sep));
  const sources = Math.max(newest(path.join(root, 'renderer')), ...appModules.map((file) => (existsSync(file) ? statSync(file).mtimeMs : Infinity)));
  if (sources > builtAt) throw new Error('dist/renderer is older than the renderer sources: run "npx vite build" again.');
}

/** Every source file of the built renderer's bundle (absolute paths), from its source map. */
export function rendererBundleSources(): string[] {
  const assets = path.join(root, 'dist/renderer/assets');
  const map = readdirSync(assets).find((name) => name.endsWith('.js.map'));
  if (!map) throw new Error('dist/renderer has no source map: run "npx vite build" again.');
  const { sources } = JSON.parse(readFileSync(path.join(assets, map), 'utf8')) as { sources: string[] };
  return sources.map((source) => path.resolve(assets, source));
}

/** A photo-like test image: a gradient with a disc, so thumbnails are visibly images. */
export function pictureImage(width: number, height: number, hue: number): Sharp {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="hsl(${hue},55%,62%)"/><stop offset="1" stop-color="hsl(${(hue + 50) % 360},45%,30%)"/>
    </linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>
    <circle cx="${width * 0.62}" cy="${height * 0.42}" r="${Math.min(width, height) * 0.2}" fill="hsl(${(hue + 180) % 360},60%,70%)" opacity="0.85"/>
  </svg>`;
  return sharp(Buffer.from(svg));
}

export { solidImage } from '../peer/images';

export interface BrowseFolder {
  dir: string;
  /** Relative paths of images that decode. */
  good: string[];
  /** Relative paths of image-named files that do not decode. */
  bad: string[];
}

/** Nested folders, unicode and spaces in names, bad files, a hidden file and a non-image file. */
export async function makeBrowseFolder(): Promise<BrowseFolder> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cd-browse-'));
  const good = ['été/chat 1.jpg', '日本/犬.png', 'a/b/deep photo.webp', 'top.jpg', 'wide.jpg', 'été/chat 2.jpg', 'tall.png', 'gif/anim.gif'];
  let hue = 0;
  for (const rel of good) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    const [w, h] = rel === 'wide.jpg' ? [1200, 500] : rel === 'tall.png' ? [400, 900] : [640, 480];
    const image = pictureImage(w, h, (hue += 41));
    const ext = path.extname(rel).slice(1);
    const encoded = ext === 'png' ? image.png() : ext === 'webp' ? image.webp() : ext === 'gif' ? image.gif() : image.jpeg({ quality: 85 });
    await encoded.toFile(file);
  }
  const bad = ['empty.jpg', 'not really.png', 'broken/truncated.jpg'];
  await writeFile(path.join(dir, 'empty.jpg'), Buffer.alloc(0));
  await writeFile(path.join(dir, 'not really.png'), 'This is a text file, not a PNG.\n');
  await mkdir(path.join(dir, 'broken'), { recursive: true });
  const jpeg = await pictureImage(800, 600, 200).jpeg().toBuffer();
  await writeFile(path.join(dir, 'broken/truncated.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 3)));
  await pictureImage(64, 64, 10).jpeg().toFile(path.join(dir, '.hidden.jpg'));
  await writeFile(path.join(dir, 'notes.txt'), 'not an image');
  return { dir, good, bad };
}

/** Ext4 and others cap hard links per file near 65,000: one seed file serves this many images. */
const linksPerSeed = 50_000;
/** Above this many images the folder is split into sub-folders of `perSubfolder`, like a real archive. */
const flatMax = 50_000;
const perSubfolder = 1000;

/**
 * The relative ids of the images of ensureBigFolder(count), in natural order: `images/img_00000.jpg`…
 * up to 50,000 (one flat folder), else `images/d000/img_000000.jpg`… in sub-folders of 1,000.
 */
export function bigFolderIds(count: number): string[] {
  const ids = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    ids[i] =
      count <= flatMax
        ? `images/img_${String(i).padStart(5, '0')}.jpg`
        : `images/d${String(Math.floor(i / perSubfolder)).padStart(3, '0')}/img_${String(i).padStart(6, '0')}.jpg`;
  }
  return ids;
}

/** A folder of `count` tiny JPEGs (hard links of a few seed files), kept under the temp dir across runs. */
export async function ensureBigFolder(count = 50_000): Promise<string> {
  const dir = path.join(os.tmpdir(), `classify-desk-bench-${count}`);
  const done = path.join(dir, '.complete');
  if (existsSync(done)) return dir;
  const ids = bigFolderIds(count);
  const made = new Set<string>();
  for (const id of ids) {
    const sub = path.dirname(id);
    if (made.has(sub)) continue;
    await mkdir(path.join(dir, sub), { recursive: true });
    made.add(sub);
  }
  const existing = new Set<string>();
  for (const sub of made) for (const name of await readdir(path.join(dir, sub))) existing.add(`${sub}/${name}`);
  // Synchronous links: 250,000 awaited calls cost more in promise round trips than in the links.
  let useLink = true;
  const seeds = new Set<string>();
  for (let i = 0; i < count; i++) {
    if (existing.has(ids[i])) continue;
    const seed = path.join(dir, `.seed${Math.floor(i / linksPerSeed) || ''}.jpg`);
    if (!seeds.has(seed)) {
      if (!existsSync(seed)) await pictureImage(96, 72, 150).jpeg({ quality: 70 }).toFile(seed);
      seeds.add(seed);
    }
    const target = path.join(dir, ids[i]);
    if (useLink) {
      try {
        linkSync(seed, target);
        continue;
      } catch {
        useLink = false;
      }
    }
    copyFileSync(seed, target);
  }
  await writeFile(done, `${count}\n`);
  return dir;
}

/** `text` with the characters a RegExp treats specially escaped. */
export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The grid cell of an image by its file name (a tile's accessible name starts "<file name>,"). */
export function cellOf(page: Page, rel: string): Locator {
  return page.getByRole('gridcell', { name: new RegExp(`^${escapeRegExp(rel.split('/').pop()!)},`) });
}

// Images that fail to load on purpose (broken files, offline checks) are not problems.
const failedResource = (message: ConsoleMessage) => /Failed to load resource/.test(message.text());

/** Where specs save pictures of screens for people to look at (CI uploads test-results/). */
export const screenshotsDir = path.join(root, 'test-results', 'screenshots');

/**
 * Saves a picture of `target` (a page or an element) as `name` in `screenshotsDir`, for people to
 * look at: no test reads it back. Taken only with E2E_SCREENSHOTS=1 (the GitHub workflow sets it,
 * so its test report keeps the pictures): each costs Chromium a capture and a PNG encode, about
 * 0.4 CPU-s (about 10 for the suite's 29).
 */
export async function screenshotForPeople(target: Page | Locator, name: string): Promise<void> {
  if (process.env.E2E_SCREENSHOTS !== '1') return;
  await target.screenshot({ path: path.join(screenshotsDir, name) });
}

/** Opens the app in a new page that records page errors and console errors (but those `ignore` accepts) into `problems`. */
export async function openTrackedPage(browser: Browser, url: string, problems: string[], ignore = failedResource, context: BrowserContextOptions = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, ...context });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !ignore(message)) problems.push(`${message.text()} ${message.location().url}`.trim());
  });
  await page.goto(url);
  return page;
}

/**
 * Points the app at a self-hosted endpoint with a model and key through the Settings dialog, by
 * its labels; waits for "The key works", runs `beforeSave` (extra checks) and saves.
 */
export async function configureInSettings(
  page: Page,
  opts: { url: string; model: string; key: string; beforeSave?: (dialog: Locator) => Promise<void> },
): Promise<void> {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.getByLabel('Endpoint', { exact: true }).selectOption('self-hosted');
  await dialog.getByLabel('Endpoint URL').fill(opts.url);
  await dialog.getByLabel('Model', { exact: true }).fill(opts.model);
  await dialog.getByLabel('API key').fill(opts.key);
  await dialog.getByRole('button', { name: 'Check key' }).click();
  await dialog.getByText('The key works', { exact: false }).waitFor({ timeout: 15_000 });
  await opts.beforeSave?.(dialog);
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'detached' });
}
