import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createCorrections } from '../../../main/services/corrections';
import { folderIdOf } from '../../../main/services/library';
import { colours, solidJpeg } from '../../peer/images';
import { runCli } from '../../support/cli-in-process';
import { defaultPeerKey, type Peer } from '../../peer/server';
import { peerAndTempForFile } from '../../support/peer-and-temp';

// `--only tag:NAME` on the command line: the tags set in the app (same data dir) choose the images
// `send` sends and the ones `infer` writes; `send --image-tags` sends them as upload tags.

let tmp: string;
let peer: Peer;

async function fixture(name: string) {
  const folder = path.join(tmp, name, 'images');
  const home = path.join(tmp, name, 'home');
  const files: Array<[string, Buffer]> = [
    ['red/r1.jpg', await solidJpeg(40, 30, colours.red)],
    ['green/g1.jpg', await solidJpeg(36, 24, colours.green)],
    ['blue/b1.jpg', await solidJpeg(28, 28, colours.blue)],
  ];
  for (const [rel, data] of files) {
    await fs.mkdir(path.dirname(path.join(folder, rel)), { recursive: true });
    await fs.writeFile(path.join(folder, rel), data);
  }
  expect((await runCli(home, ['infer', folder, '--model', 'colors/1', '--api-url', peer.url, '--api-key', defaultPeerKey])).code).toBe(0);
  const corrections = createCorrections({ dataDir: home });
  const folderId = folderIdOf(await fs.realpath(folder));
  await corrections.set(folderId, ['red/r1.jpg', 'blue/b1.jpg'], { addTags: ['second look'] });
  await corrections.set(folderId, ['blue/b1.jpg'], { addTags: ['dusk/evening'], note: 'shot at dusk' });
  await corrections.close();
  return { folder, home };
}

const send = (f: { folder: string; home: string }, ...args: string[]) =>
  runCli(f.home, ['send', f.folder, '--project', 'colors', '--platform-url', peer.url, '--api-url', peer.url, '--api-key', defaultPeerKey, '--model', 'colors/1', ...args]);

peerAndTempForFile('cd-cli-tags-', (dir, started) => {
  tmp = dir;
  peer = started;
});
beforeEach(() => peer.reset());

describe('--only tag:NAME', () => {
  it('send picks the tagged images, and --image-tags sends their tags Roboflow accepts', async () => {
    const f = await fixture('send');
    const dry = await send(f, '--only', 'tag:second look', '--labels', 'truth', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout.trim().split('\n').sort()).toEqual(['blue/b1.jpg\tblue\ttruth', 'red/r1.jpg\tred\ttruth']);
    const res = await send(f, '--only', 'tag:second look', '--labels', 'truth', '--image-tags', '--tag', 'desk');
    expect(res.code).toBe(0);
    expect(peer.dataset.images()).toHaveLength(2);
    // "dusk/evening" has a "/", which Roboflow refuses in a tag: it stays home.
    expect(peer.dataset.byName('colors', 'blue_b1.jpg')?.tags).toEqual(['desk', 'second look']);
    expect(peer.dataset.byName('colors', 'red_r1.jpg')?.tags).toEqual(['desk', 'second look']);
  });

  it('infer writes only the tagged images, with their tags and note, and refuses a bad tag', async () => {
    const f = await fixture('infer');
    const out = path.join(tmp, 'infer', 'tagged.json');
    const res = await runCli(f.home, ['infer', f.folder, '--model', 'colors/1', '--api-url', peer.url, '--api-key', defaultPeerKey, '--only', 'tag:dusk/evening', '--out', out]);
    expect(res.code).toBe(0);
    const doc = JSON.parse(await fs.readFile(out, 'utf8')) as { images: Array<Record<string, unknown>> };
    expect(doc.images).toHaveLength(1);
    expect(doc.images[0]).toMatchObject({ path: 'blue/b1.jpg', tags: ['dusk/evening', 'second look'], note: 'shot at dusk' });
    const listed = await runCli(f.home, ['infer', f.folder, '--model', 'colors/1', '--api-url', peer.url, '--api-key', defaultPeerKey, '--only', 'tag:second look']);
    expect(listed.stdout.trim().split('\n').map((l) => l.split('\t')[0])).toEqual(['blue/b1.jpg', 'red/r1.jpg']);
    const refused = await runCli(f.home, ['infer', f.folder, '--model', 'colors/1', '--api-url', peer.url, '--api-key', defaultPeerKey, '--only', 'tag:a;b']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('";"');
    const wrong = await send(f, '--only', 'tag:', '--dry-run');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/tag cannot be empty/);
  });
});
