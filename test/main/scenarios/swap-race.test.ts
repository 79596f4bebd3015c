import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullUrl, thumbUrl } from '../../../app/media-urls';
import { writeClassFolders } from '../../../main/services/evaluation-export';
import { createLibrary } from '../../../main/services/library';
import { createMediaHandler, type MediaHandler } from '../../../main/services/media';
import { readImageFile } from '../../../main/services/prepare-image';
import { createThumbnails, type Thumbnails } from '../../../main/services/thumbnails';
import { removeDir, tempDir } from '../../support/service-fixtures';

// An attacker who may write into the opened folder swaps x.jpg for a link to a file outside it,
// back and forth, while the app serves, thumbnails, prepares and exports x.jpg. Whatever the
// timing, no byte of the outside file may come out.

const marker = 'OUTSIDE-SECRET-MARKER-7f3a';
let root: string;
let outside: string;
let cache: string;
let exportDir: string;
let folderId: string;
let media: MediaHandler;
let thumbnails: Thumbnails;
let swapper: ChildProcess;
const library = createLibrary({ emit: () => undefined });

/** Renames a link to the secret onto x.jpg, then a real image back onto it, every ~0.5 ms; now and
 *  then the real image stays a few ms, so reads also succeed and the race runs against real answers. */
const swapScript = `
const fs = require('node:fs');
const [dir, secret] = process.argv.slice(1);
const stage = dir + '/.stage';
const sleeper = new Int32Array(new SharedArrayBuffer(4));
for (;;) {
  try { fs.rmSync(stage + '/l', { force: true }); fs.symlinkSync(secret, stage + '/l'); fs.renameSync(stage + '/l', dir + '/x.jpg'); } catch {}
  Atomics.wait(sleeper, 0, 0, 0.5);
  try { fs.rmSync(stage + '/r', { force: true }); fs.linkSync(stage + '/good.jpg', stage + '/r'); fs.renameSync(stage + '/r', dir + '/x.jpg'); } catch {}
  Atomics.wait(sleeper, 0, 0, Math.random() < 0.1 ? 8 : 0.5);
}`;

const solid = (r: number, g: number, b: number) => sharp({ create: { width: 64, height: 64, channels: 3, background: { r, g, b } } }).jpeg().toBuffer();

beforeAll(async () => {
  [root, outside, cache, exportDir] = await Promise.all([tempDir(), tempDir(), tempDir(), tempDir()]);
  // The secret is a green JPEG (so a thumbnail of it would decode) with a text marker after it.
  await fs.writeFile(path.join(outside, 'secret.jpg'), Buffer.concat([await solid(0, 255, 0), Buffer.from(marker)]));
  await fs.mkdir(path.join(root, '.stage'));
  await fs.writeFile(path.join(root, '.stage', 'good.jpg'), await solid(255, 0, 0));
  await fs.copyFile(path.join(root, '.stage', 'good.jpg'), path.join(root, 'x.jpg'));
  thumbnails = createThumbnails({ cacheDir: cache });
  media = createMediaHandler({ library, thumbnails });
  ({ folderId } = await library.open(root, false));
  await library.get(folderId)!.done;
  swapper = spawn(process.execPath, ['-e', swapScript, root, path.join(outside, 'secret.jpg')], { stdio: 'ignore' });
});

afterAll(async () => {
  swapper?.kill();
  await library.close();
  await thumbnails?.close();
  await Promise.all([root, outside, cache, exportDir].map(removeDir));
});

/** Another attempt of the race: a fixed number, and on a machine so busy that none of them met the
 *  real image, more until one does (or 20 s pass), so the race is really run against real answers. */
function keepTrying(tries: number): (i: number, succeeded: number) => boolean {
  const until = Date.now() + 20_000;
  return (i, succeeded) => i < tries || (succeeded === 0 && Date.now() < until);
}

const get = (rel: string) => media(new Request(new URL(rel, 'app://classify-desk/')));
const leaks = (bytes: Buffer) => bytes.includes(Buffer.from(marker));

/** True when a decoded picture is mostly green (the secret) rather than red (the folder's image). */
async function looksGreen(bytes: Buffer): Promise<boolean> {
  const { channels } = await sharp(bytes).stats();
  return channels[1].mean > channels[0].mean;
}

describe('a file swapped for a link while it is read', () => {
  it('never serves the outside file as a full image', async () => {
    let served = 0;
    for (let i = 0; i < 400 && served < 100; i++) {
      const res = await get(fullUrl(folderId, 'x.jpg'));
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status === 200) served++;
      expect(leaks(body), `request ${i}`).toBe(false);
    }
    // The race must really have been run against real answers, not only refusals.
    expect(served).toBeGreaterThan(0);
  });

  it('never makes a thumbnail of the outside file', async () => {
    let made = 0;
    const more = keepTrying(300);
    for (let i = 0; more(i, made) && made < 40; i++) {
      // A new size each time, so every request decodes instead of hitting the cache.
      const res = await get(thumbUrl(folderId, 'x.jpg', 32 + i));
      if (res.status !== 200) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      made++;
      expect(await looksGreen(Buffer.from(await res.arrayBuffer())), `request ${i}`).toBe(false);
    }
    expect(made).toBeGreaterThan(0);
  });

  it('never prepares the outside file for upload', async () => {
    let read = 0;
    const more = keepTrying(400);
    for (let i = 0; more(i, read) && read < 100; i++) {
      const bytes = await library
        .resolve(folderId, 'x.jpg')
        .then(readImageFile)
        .catch(() => null);
      if (!bytes) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      read++;
      expect(leaks(bytes), `read ${i}`).toBe(false);
    }
    expect(read).toBeGreaterThan(0);
  });

  it('never copies the outside file into a class-folders export', async () => {
    // One image per export: an export that meets the swapped link stops with a refusal.
    const outcomes = new Set<string>();
    for (let i = 0; i < 150 && (await fs.readdir(path.join(exportDir, 'red')).catch(() => [])).length < 30; i++) {
      await writeClassFolders(exportDir, root, [{ id: 'x.jpg', labels: ['red'], source: 'prediction' }], (id) => library.resolve(folderId, id)).then(
        () => outcomes.add('ok'),
        (error: { code?: string }) => outcomes.add(error.code ?? 'thrown'),
      );
    }
    expect([...outcomes].filter((o) => o !== 'ok' && o !== 'invalid_input' && o !== 'unreadable_file')).toEqual([]);
    const copies = await fs.readdir(path.join(exportDir, 'red'));
    expect(copies.length).toBeGreaterThan(0);
    for (const name of copies) expect(leaks(await fs.readFile(path.join(exportDir, 'red', name))), name).toBe(false);
  });
});
