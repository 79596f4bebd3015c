import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classThresholdsKey } from '../../../app/class-thresholds';
import { folderIdOf } from '../../../main/services/library';
import { createSettingsStore } from '../../../main/services/settings-store';
import { colours, noisyJpeg, solidBmp, solidJpeg } from '../../peer/images';
import { defaultPeerKey, startPeer, type Peer } from '../../peer/server';
import { runCli } from '../../support/cli-in-process';

// What `classify-desk infer` tells a person on the command line, in-process against the real peer:
// remedies that name commands (not the window), warnings, escaped TSV, and why an image went out
// smaller than asked.

let tmp: string;
let peer: Peer;
let tinyPeer: Peer;

/** `classify-desk infer <args>` in this process; every call names its data folder in env. */
const infer = (args: string[], env: NodeJS.ProcessEnv & { CLASSIFY_DESK_HOME: string }) => runCli(env.CLASSIFY_DESK_HOME, ['infer', ...args], env);

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-cli-out-'));
  peer = await startPeer();
  // A server whose request limit is far below a full-size photo.
  tinyPeer = await startPeer({ maxBodyBytes: 60 * 1024 });
});
afterAll(async () => {
  await peer.close();
  await tinyPeer.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('classify-desk infer output', () => {
  it('warns once that --api-key is visible to other users, and not when the key comes from the environment', async () => {
    const folder = path.join(tmp, 'warn');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'a.jpg'), await solidJpeg(32, 32, colours.red));
    const env = { CLASSIFY_DESK_HOME: path.join(tmp, 'warn-home') };
    const flagged = await infer([folder, '--model', 'colors/1', '--api-url', peer.url, '--api-key', defaultPeerKey], env);
    expect(flagged.code).toBe(0);
    expect(flagged.stderr.match(/warning: --api-key/g)).toHaveLength(1);
    expect(flagged.stderr).toMatch(/use `classify-desk login` or ROBOFLOW_API_KEY/);
    expect(flagged.stderr).not.toContain(defaultPeerKey);
    // "1 image", not "1 images".
    expect(flagged.stderr).toMatch(/^Classified 1 image in /m);
    const fromEnv = await infer([folder, '--model', 'colors/1', '--api-url', peer.url, '--force'], { ...env, ROBOFLOW_API_KEY: defaultPeerKey });
    expect(fromEnv.stderr).not.toContain('warning: --api-key');
  });

  it('points a refused key at classify-desk login / ROBOFLOW_API_KEY, not at the window', async () => {
    const folder = path.join(tmp, 'badkey');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'a.jpg'), await solidJpeg(32, 32, colours.red));
    const run = await infer([folder, '--model', 'colors/1', '--api-url', peer.url], { CLASSIFY_DESK_HOME: path.join(tmp, 'badkey-home'), ROBOFLOW_API_KEY: 'rf_wrong_key_zzzz' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/classify-desk (whoami|login)/);
    expect(run.stderr).toContain('ROBOFLOW_API_KEY');
    expect(run.stderr).not.toMatch(/Settings/);
  });

  it('escapes tabs and line breaks in file names, so each image is one line of four cells', async () => {
    const folder = path.join(tmp, 'tsv');
    await fs.mkdir(folder, { recursive: true });
    for (const name of ['tab\there.jpg', 'line\nbreak.jpg', 'back\\slash.jpg']) await fs.writeFile(path.join(folder, name), await solidJpeg(32, 32, colours.green));
    const run = await infer([folder, '--model', 'colors/1', '--api-url', peer.url], { CLASSIFY_DESK_HOME: path.join(tmp, 'tsv-home'), ROBOFLOW_API_KEY: defaultPeerKey });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.split('\t')).toHaveLength(4);
    expect(lines.map((l) => l.split('\t')[0]).sort()).toEqual(['back\\\\slash.jpg', 'line\\nbreak.jpg', 'tab\\there.jpg']);
  });

  it('prints one line per image in path order, whatever order the disk lists them', async () => {
    const folder = path.join(tmp, 'order');
    await fs.mkdir(path.join(folder, 'b'), { recursive: true });
    for (const name of ['img10.jpg', 'img2.jpg', 'b/a.jpg', 'A.jpg', 'img1.jpg']) await fs.writeFile(path.join(folder, name), await solidJpeg(16, 16, colours.red));
    const run = await infer([folder, '--model', 'colors/1', '--api-url', peer.url], { CLASSIFY_DESK_HOME: path.join(tmp, 'order-home'), ROBOFLOW_API_KEY: defaultPeerKey });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n').map((l) => l.split('\t')[0])).toEqual(['A.jpg', 'b/a.jpg', 'img1.jpg', 'img2.jpg', 'img10.jpg']);
  });

  it('says when the endpoint refused a full-size image (--max-size 0) and it was re-sent smaller', async () => {
    const folder = path.join(tmp, 'big');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'photo.jpg'), await noisyJpeg(1200, 900, colours.red));
    const out = path.join(tmp, 'big.json');
    const run = await infer([folder, '--model', 'colors/1', '--api-url', tinyPeer.url, '--max-size', '0', '--out', out], {
      CLASSIFY_DESK_HOME: path.join(tmp, 'big-home'),
      ROBOFLOW_API_KEY: defaultPeerKey,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/1 image was too large for the endpoint and re-sent smaller/);
    expect(run.stderr).toMatch(/photo\.jpg: the endpoint refused 1200x900 \(.+\) as too large \(413\) \(--max-size 0 sends images at full size\); re-sent downscaled to \d+x\d+/);
    const doc = JSON.parse(await fs.readFile(out, 'utf8'));
    expect(doc.images[0].sent).toMatchObject({ resized: true, refused: { width: 1200, height: 900 } });
    expect(doc.images[0].original).toEqual({ width: 1200, height: 900 });
  });

  it('annotates BMP images like the others (every image gets a copy)', async () => {
    const folder = path.join(tmp, 'bmp');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'a.jpg'), await solidJpeg(32, 32, colours.red));
    await fs.writeFile(path.join(folder, 'b.bmp'), solidBmp(32, 32, colours.blue));
    const annotated = path.join(tmp, 'bmp-annotated');
    const run = await infer([folder, '--model', 'colors/1', '--api-url', peer.url, '--annotate', annotated], { CLASSIFY_DESK_HOME: path.join(tmp, 'bmp-home'), ROBOFLOW_API_KEY: defaultPeerKey });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`Annotated 2 images into ${annotated}.`);
    expect((await fs.readdir(annotated)).sort()).toEqual(['a.jpg', 'b.jpg']);
  });
});

describe('classify-desk infer with per-class thresholds saved in the app', () => {
  it('labels and exports each class at its own threshold for the folder and model, as the app does', async () => {
    const folder = path.join(tmp, 'per-class');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'a.jpg'), await solidJpeg(32, 32, colours.red));
    const home = path.join(tmp, 'per-class-home');
    const env = { CLASSIFY_DESK_HOME: home, ROBOFLOW_API_KEY: defaultPeerKey };
    const args = [folder, '--model', 'colors/1', '--api-url', peer.url, '--confidence', '0.5'];
    const plain = await infer(args, env);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^a\.jpg\tdone\tred\t0\.\d{4}$/m);

    // The app saved a stricter threshold for "red" on this folder and model than any score reaches.
    createSettingsStore({ dataDir: home }).update({ classThresholds: { [classThresholdsKey(folderIdOf(await fs.realpath(folder)), 'colors/1')]: { red: 1 } } });
    const strict = await infer(args, env);
    expect(strict.stdout).toMatch(/^a\.jpg\tdone\t\t$/m);
    const out = path.join(tmp, 'per-class.json');
    expect((await infer([...args, '--out', out], env)).code).toBe(0);
    const doc = JSON.parse(await fs.readFile(out, 'utf8'));
    expect(doc.class_thresholds).toEqual({ red: 1 });
    expect(doc.images[0]).toMatchObject({ path: 'a.jpg', top: '', predictions: [], raw_response: { top: 'red' } });
  });
});
