import { apiRef } from '../../app/model-ref';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCorrections } from '../../main/services/corrections';
import { folderIdOf } from '../../main/services/library';
import { journalKey } from '../../main/services/results';
import { defaultPeerKey, startPeer, type Peer } from '../peer/server';
import { runCli } from '../support/cli-in-process';
import { spawnCli, type CliProcess } from '../support/cli-process';
import { writeColourImages, type ColourImage } from '../support/colour-images';

// The CLI against the real peer and real files: in this process through main(argv, io), and as a
// real process (the built dist/cli.mjs) for a real SIGKILL in the middle of a job and the resume after it.

let tmp: string;
let peer: Peer;
const children = new Set<CliProcess>();

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-cli-'));
  peer = await startPeer();
});
afterEach(() => {
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
  children.clear();
});
afterAll(async () => {
  await peer.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** `classify-desk <args>` in this process, with only the variables in env. */
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(env.CLASSIFY_DESK_HOME ?? path.join(tmp, 'no-home'), args, env);

async function fixture(name: string, count: number, broken = false): Promise<{ folder: string; home: string; images: ColourImage[] }> {
  const folder = path.join(tmp, name, 'images');
  const images = await writeColourImages(folder, count);
  if (broken) await fs.writeFile(path.join(folder, 'zz-broken.jpg'), 'this is not a jpeg');
  return { folder, home: path.join(tmp, name, 'home'), images };
}

const inferArgs = (folder: string, url: string, ...more: string[]) => ['infer', folder, '--model', 'colors/1', '--api-url', url, '--api-key', defaultPeerKey, ...more];

describe('classify-desk CLI', () => {
  it('documents every command in --help', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['infer', 'evaluate', 'login', 'logout', 'whoami']) expect(top.stdout).toContain(cmd);
    const infer = await cli(['infer', '--help']);
    expect(infer.code).toBe(0);
    for (const flag of ['--model', '--api-url', '--api-key', '--concurrency', '--confidence', '--max-size', '--no-recursive', '--force', '--out', '--annotate']) {
      expect(infer.stdout).toContain(flag);
    }
  });

  it('exits 0 when every image has a result, writes --out JSON, and skips them on the next run', async () => {
    const { folder, home, images } = await fixture('ok', 6);
    const out = path.join(tmp, 'ok', 'results.json');
    const first = await cli(inferArgs(folder, peer.url, '--out', out, '--concurrency', '3'), { CLASSIFY_DESK_HOME: home });
    expect(first.stderr).not.toContain(defaultPeerKey);
    expect(first.code).toBe(0);
    const doc = JSON.parse(await fs.readFile(out, 'utf8'));
    expect(doc).toMatchObject({ format: 'classify-desk/v2', model: { id: 'colors/1', project: 'colors', version: '1' }, endpoint: peer.url });
    expect(doc.images).toHaveLength(6);
    for (const img of images) expect(doc.images.find((i: { path: string }) => i.path === img.id)).toMatchObject({ status: 'done', top: img.expected, prediction_type: 'ClassificationModel' });
    expect(JSON.stringify(doc)).not.toContain(defaultPeerKey);

    const before = peer.stats.inferences;
    const again = await cli(inferArgs(folder, peer.url), { CLASSIFY_DESK_HOME: home });
    expect(again.code).toBe(0);
    expect(peer.stats.inferences).toBe(before);
    expect(again.stdout.trim().split('\n')).toHaveLength(6);
    expect(again.stdout).toMatch(/img-0000\.jpg\tdone\tred\t0\.\d{4}/);

    // A correction made in the app (same data dir) travels with the CLI's next export.
    const corrections = createCorrections({ dataDir: home });
    await corrections.set(folderIdOf(await fs.realpath(folder)), [images[0].id], { label: 'blue', reviewed: true });
    await corrections.close();
    const third = await cli(inferArgs(folder, peer.url, '--out', out), { CLASSIFY_DESK_HOME: home });
    expect(third.code).toBe(0);
    const corrected = JSON.parse(await fs.readFile(out, 'utf8')).images.find((i: { path: string }) => i.path === images[0].id);
    expect(corrected).toMatchObject({ top: images[0].expected, reviewed_label: 'blue', flagged: false });
  }, 60_000);

  it('exits 1 and lists the failed images with their codes; --out CSV still written', async () => {
    const { folder, home } = await fixture('some-fail', 3, true);
    const out = path.join(tmp, 'some-fail', 'results.csv');
    const annotated = path.join(tmp, 'some-fail', 'annotated');
    const run = await cli(inferArgs(folder, peer.url, '--out', out, '--annotate', annotated), { CLASSIFY_DESK_HOME: home });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/zz-broken\.jpg: bad_image: /);
    const csv = await fs.readFile(out, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('path,status,top_class,confidence,blue,green,red,error_code,reviewed_label,reviewed_at,flagged,margin,entropy,tags,note');
    expect(csv).toContain('zz-broken.jpg,error,,,,,,bad_image');
    expect((await fs.readdir(annotated)).sort()).toEqual(['img-0000.jpg', 'img-0001.jpg', 'img-0002.jpg']);
  }, 60_000);

  it('classifies https image URLs given on the command line', async () => {
    const home = path.join(tmp, 'web', 'home');
    const out = path.join(tmp, 'web', 'web.json');
    const url = 'https://images.example.com/red-car.jpg';
    const run = await cli(['infer', url, '--model', 'colors/1', '--api-url', peer.url, '--out', out], { CLASSIFY_DESK_HOME: home, ROBOFLOW_API_KEY: defaultPeerKey });
    expect(run.code).toBe(0);
    const doc = JSON.parse(await fs.readFile(out, 'utf8'));
    expect(doc.images).toEqual([expect.objectContaining({ path: url, image_path: url, status: 'done', top: 'red' })]);
    expect((await cli(['infer', 'http://insecure.example.com/a.jpg', '--model', 'colors/1', '--api-url', peer.url], { CLASSIFY_DESK_HOME: home })).code).toBe(2);
  }, 60_000);

  it('exits 2 with a one-line reason on a bad key, an unknown model, an unreachable endpoint or bad arguments', async () => {
    const { folder, home } = await fixture('systemic', 4);
    const env = { CLASSIFY_DESK_HOME: home };
    const badKey = await cli(['infer', folder, '--model', 'colors/1', '--api-url', peer.url, '--api-key', 'rf_wrong_key_zzzz'], env);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(/^classify-desk infer: .+$/m);
    expect(badKey.stderr).not.toContain('rf_wrong_key_zzzz');

    const unknown = await cli(['infer', folder, '--model', 'nope/9', '--api-url', peer.url], { ...env, ROBOFLOW_API_KEY: defaultPeerKey });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/nope\/9|not found/i);

    const closed = await startPeer();
    const url = closed.url;
    await closed.close();
    const unreachable = await cli(inferArgs(folder, url), env);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/could not be reached/);

    expect((await cli(['infer', folder, '--api-url', peer.url, '--api-key', defaultPeerKey], { ...env, CLASSIFY_DESK_HOME: path.join(tmp, 'empty-home') })).code).toBe(2);
    expect((await cli(inferArgs(folder, peer.url, '--concurrency', '99'), env)).code).toBe(2);
    expect((await cli(inferArgs(folder, peer.url, '--out', 'x.txt'), env)).code).toBe(2);
    const sent = peer.stats.requests;
    expect((await cli(inferArgs(folder, peer.url, '--annotate', path.join(folder, 'annotated')), env)).code).toBe(2);
    expect(peer.stats.requests).toBe(sent);
    expect((await cli(inferArgs(path.join(tmp, 'missing'), peer.url), env)).code).toBe(2);
    expect((await cli(['frobnicate'], env)).code).toBe(2);
  }, 120_000);

  it('says once on stderr that the key goes unencrypted when the endpoint is plain http on another machine', async () => {
    const { folder, home } = await fixture('plain-http', 2);
    const env = { CLASSIFY_DESK_HOME: home, ROBOFLOW_API_KEY: defaultPeerKey };
    const remote = await cli(inferArgs(folder, 'http://classify-desk-test.invalid:9001'), env);
    expect(remote.stderr.match(/unencrypted over plain http:\/\/ to classify-desk-test\.invalid:9001/g)).toHaveLength(1);
    expect(remote.stderr).not.toContain(defaultPeerKey);
    const local = await cli(inferArgs(folder, peer.url), env);
    expect(local.code).toBe(0);
    expect(local.stderr).not.toContain('unencrypted');
  }, 60_000);

  it('survives a real kill -9 mid-job: journalled images are not sent again and the rest complete', async () => {
    const slow = await startPeer({ latencyMs: 250 });
    try {
      const { folder, home } = await fixture('killed', 30);
      const journal = path.join(home, 'results', `${journalKey(folderIdOf(await fs.realpath(folder)), apiRef(slow.url, 'colors/1'))}.jsonl`);
      // Complete lines only: a line still being written (or torn by the kill) has no newline yet.
      const countLines = async () => {
        const text = await fs.readFile(journal, 'utf8').catch(() => '');
        return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).length;
      };
      const run = spawnCli(inferArgs(folder, slow.url, '--concurrency', '2'), { CLASSIFY_DESK_HOME: home });
      children.add(run);
      const deadline = Date.now() + 30_000;
      while ((await countLines()) < 6) {
        if (Date.now() > deadline) throw new Error('the CLI journalled nothing in 30 s');
        await new Promise((r) => setTimeout(r, 25));
      }
      process.kill(-(run.child.pid as number), 'SIGKILL');
      const killed = await run.done;
      expect(killed.signal).toBe('SIGKILL');
      const journalled = await countLines();
      expect(journalled).toBeLessThan(30);
      const sentBefore = slow.stats.inferences;

      const resumed = await cli(inferArgs(folder, slow.url, '--concurrency', '4'), { CLASSIFY_DESK_HOME: home });
      expect(resumed.code).toBe(0);
      expect(resumed.stderr).toContain(`${journalled} already done`);
      // Exactly the images without a journalled result went out again; none of the others did.
      expect(slow.stats.inferences - sentBefore).toBe(30 - journalled);
      const lines = (await fs.readFile(journal, 'utf8')).trim().split('\n');
      expect(new Set(lines.map((l) => JSON.parse(l).id)).size).toBe(30);
    } finally {
      await slow.close();
    }
  }, 120_000);
});
