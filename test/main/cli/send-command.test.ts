import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createCorrections } from '../../../main/services/corrections';
import { folderIdOf } from '../../../main/services/library';
import { colours, solidJpeg, solidPng } from '../../peer/images';
import { runCli } from '../../support/cli-in-process';
import { defaultPeerKey, type Peer } from '../../peer/server';
import { peerAndTempForFile } from '../../support/peer-and-temp';

// `classify-desk send` against the real peer: a class-folder tree classified by `infer` (colors/1
// classifies by dominant colour), corrections made through the app's corrections service in the
// same data dir, and assertions on what the peer's project ends up holding.

let tmp: string;
let peer: Peer;

// red/r1.jpg red, red/r2.png red, green/g1.jpg green, green/g2.jpg a BLUE image (corrected to
// blue), blue/b1.jpg blue, top.jpg a green image in no class folder (flagged).
async function fixture(name: string) {
  const folder = path.join(tmp, name, 'images');
  const home = path.join(tmp, name, 'home');
  const files: Array<[string, Promise<Buffer>]> = [
    ['red/r1.jpg', solidJpeg(40, 30, colours.red)],
    ['red/r2.png', solidPng(32, 32, colours.red)],
    ['green/g1.jpg', solidJpeg(36, 24, colours.green)],
    ['green/g2.jpg', solidJpeg(30, 30, colours.blue)],
    ['blue/b1.jpg', solidJpeg(28, 28, colours.blue)],
    ['top.jpg', solidJpeg(26, 26, colours.green)],
  ];
  for (const [rel, data] of files) {
    await fs.mkdir(path.dirname(path.join(folder, rel)), { recursive: true });
    await fs.writeFile(path.join(folder, rel), await data);
  }
  expect((await run(home, ['infer', folder, '--model', 'colors/1', '--api-url', peer.url, '--api-key', defaultPeerKey])).code).toBe(0);
  const corrections = createCorrections({ dataDir: home });
  const folderId = folderIdOf(await fs.realpath(folder));
  await corrections.set(folderId, ['green/g2.jpg'], { label: 'blue' });
  await corrections.set(folderId, ['top.jpg'], { flagged: true });
  await corrections.close();
  return { folder, home };
}

const run = runCli;

const send = (f: { folder: string; home: string }, ...args: string[]) =>
  run(f.home, ['send', f.folder, '--project', 'colors', '--platform-url', peer.url, '--api-url', peer.url, '--api-key', defaultPeerKey, '--model', 'colors/1', ...args]);

const held = (name: string) => peer.dataset.byName('colors', name);

peerAndTempForFile('cd-cli-send-', (dir, started) => {
  tmp = dir;
  peer = started;
});
beforeEach(() => peer.reset());

describe('classify-desk send', () => {
  it('--dry-run prints what would be sent and sends nothing', async () => {
    const f = await fixture('dry');
    const res = await send(f, '--dry-run', '--only', 'all', '--labels', 'truth');
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split('\n').sort()).toEqual(
      ['blue/b1.jpg\tblue\ttruth', 'green/g1.jpg\tgreen\ttruth', 'green/g2.jpg\tblue\tcorrection', 'red/r1.jpg\tred\ttruth', 'red/r2.png\tred\ttruth'].sort(),
    );
    expect(res.stderr).toMatch(/Would send 5 images to test-workspace\/colors \(split train, batch "Classify Desk \d{4}-\d\d-\d\d", tags colors-1\); 1 image without a label from truth \(skipped\)/);
    expect(peer.dataset.stats.requests).toEqual({ upload: 0, annotate: 0 });
  });

  it('sends the corrected images with their labels, split, batch and tags; a second run sends nothing new', async () => {
    const f = await fixture('corrected');
    const res = await send(f, '--split', 'valid', '--batch', 'Night review', '--tag', 'colors-1', '--tag', 'desk');
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('Sent 1 image to test-workspace/colors');
    expect(peer.dataset.images()).toHaveLength(1);
    const g2 = held('green_g2.jpg')!;
    expect(g2).toMatchObject({ labels: ['blue'], split: 'valid', batch: 'Night review', tags: ['colors-1', 'desk'], predictionFlag: false });
    expect(g2.bytes.equals(await fs.readFile(path.join(f.folder, 'green/g2.jpg')))).toBe(true);

    const again = await send(f);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('Sent 0 images');
    expect(again.stderr).toContain('1 image already sent');
    expect(peer.dataset.stats.requests).toEqual({ upload: 1, annotate: 1 });
  });

  it('--labels truth takes the class folders (corrections win); --labels predictions fills in the rest', async () => {
    const f = await fixture('truth');
    expect((await send(f, '--only', 'all', '--labels', 'truth')).code).toBe(0);
    expect(Object.fromEntries(peer.dataset.images().map((i) => [i.name, i.labels]))).toEqual({
      'red_r1.jpg': ['red'],
      'red_r2.png': ['red'],
      'green_g1.jpg': ['green'],
      'green_g2.jpg': ['blue'],
      'blue_b1.jpg': ['blue'],
    });
    expect(held('red_r2.png')?.mime).toBe('image/png');

    const flagged = await send(f, '--only', 'flagged', '--labels', 'predictions');
    expect(flagged.code).toBe(0);
    expect(held('top.jpg')).toMatchObject({ labels: ['green'], predictionFlag: false });
  });

  it('exits 2 with one line for a missing project, a bad tag, a label the project lacks, or a bad key (never shown)', async () => {
    const f = await fixture('errors');
    const missing = await send(f, '--project', 'no-such-project');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no project "no-such-project"/);

    const tag = await send(f, '--tag', 'colors/1');
    expect(tag.code).toBe(2);
    expect(tag.stderr).toMatch(/may only hold letters/);

    const corrections = createCorrections({ dataDir: f.home });
    await corrections.set(folderIdOf(await fs.realpath(f.folder)), ['red/r1.jpg'], { label: 'crimson' });
    await corrections.close();
    const unknown = await send(f);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('crimson: 1 image');
    expect((await send(f, '--map', 'crimson=red')).code).toBe(0);
    expect(held('red_r1.jpg')?.labels).toEqual(['red']);

    const wrongKey = 'rf_not_a_valid_key_123456';
    const bad = await run(f.home, ['send', f.folder, '--project', 'colors', '--platform-url', peer.url, '--api-key', wrongKey]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/did not accept this API key/);
    expect(bad.stderr + bad.stdout).not.toContain(wrongKey);
    expect((await run(f.home, ['send', f.folder, '--only', 'some'])).code).toBe(2);
  });

  it('exits 1 and lists the images that failed; the next run sends only those', async () => {
    const f = await fixture('partial');
    peer.dataset.fault({ kind: 'status', status: 413, route: 'upload' });
    const res = await send(f, '--only', 'all', '--labels', 'truth');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/1 image failed/);
    expect(res.stderr).toMatch(/too_large/);
    expect(peer.dataset.images()).toHaveLength(4);

    const retry = await send(f, '--only', 'all', '--labels', 'truth');
    expect(retry.code).toBe(0);
    expect(retry.stderr).toContain('Sent 1 image');
    expect(peer.dataset.images()).toHaveLength(5);
  });
});
