import { apiRef } from '../../../app/model-ref';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { folderIdOf } from '../../../main/services/library';
import { journalKey } from '../../../main/services/results';
import { defaultPeerKey, startPeer, type Peer } from '../../peer/server';
import { spawnCli } from '../../support/cli-process';
import { writeColourImages } from '../../support/colour-images';

// Two CLI runs of one folder with one model would send every image twice: the second one, while
// the first still runs, must say so and exit 2 without sending anything.

let tmp: string;
let peer: Peer;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-cli-lock-'));
  peer = await startPeer({ latencyMs: 600 });
});
afterAll(async () => {
  await peer.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Enough images at 600 ms each that the first run is still going when the second starts. */
const images = 12;

/** A real second process is what a person starting the same command twice makes. */
const cli = (args: string[], home: string) => spawnCli(args, { CLASSIFY_DESK_HOME: home });

it('refuses a second run of the same folder and model while the first runs (exit 2), and sends nothing twice', async () => {
  const folder = path.join(tmp, 'images');
  const home = path.join(tmp, 'home');
  await writeColourImages(folder, images);
  const args = ['infer', folder, '--model', 'colors/1', '--api-url', peer.url, '--api-key', defaultPeerKey, '--concurrency', '1'];
  const journal = path.join(home, 'results', `${journalKey(folderIdOf(await fs.realpath(folder)), apiRef(peer.url, 'colors/1'))}.jsonl`);
  const first = cli(args, home);
  try {
    const deadline = Date.now() + 60_000;
    while (!(await fs.readFile(journal, 'utf8').catch(() => '')).includes('\n')) {
      if (Date.now() > deadline) throw new Error('the first run journalled nothing in 60 s');
      await new Promise((r) => setTimeout(r, 25));
    }
    const second = await cli(args, home).done;
    expect(second.code).toBe(2);
    expect(second.stderr.toLowerCase()).toContain('another run is classifying this folder with this model');
    expect((await first.done).code).toBe(0);
    // Every image went out exactly once.
    expect(peer.stats.inferences).toBe(images);
    // The lock went with the first run: a third run may start (and finds everything done).
    const third = await cli(args, home).done;
    expect(third.code).toBe(0);
    expect(third.stderr).toContain(`${images} already done`);
  } finally {
    if (first.child.exitCode === null && first.child.pid) process.kill(-first.child.pid, 'SIGKILL');
  }
}, 180_000);
