import path from 'node:path';
import { expect, it } from 'vitest';
import { defaultPeerKey, type Peer } from '../../peer/server';
import { spawnCli } from '../../support/cli-process';
import { writeColourImages } from '../../support/colour-images';
import { peerAndTempForFile } from '../../support/peer-and-temp';

// Two CLI runs of one folder with one model would send every image twice: the second one, while
// the first still runs, must say so and exit 2 without sending anything.

let tmp: string;
let peer: Peer;

peerAndTempForFile('cd-cli-lock-', (dir, started) => {
  tmp = dir;
  peer = started;
});

const images = 4;

/** A real second process is what a person starting the same command twice makes. */
const cli = (args: string[], home: string) => spawnCli(args, { CLASSIFY_DESK_HOME: home });

it('refuses a second run of the same folder and model while the first runs (exit 2), and sends nothing twice', async () => {
  const folder = path.join(tmp, 'images');
  const home = path.join(tmp, 'home');
  await writeColourImages(folder, images);
  const args = ['infer', folder, '--model', 'colors/1', '--api-url', peer.url, '--api-key', defaultPeerKey, '--concurrency', '1'];
  // The first run's first image is held at the server: that run is classifying until released.
  const hold = peer.hold();
  const first = cli(args, home);
  try {
    const deadline = Date.now() + 60_000;
    while (hold.waiting === 0) {
      if (Date.now() > deadline) throw new Error('the first run sent nothing in 60 s');
      await new Promise((r) => setTimeout(r, 25));
    }
    const second = await cli(args, home).done;
    expect(second.code).toBe(2);
    expect(second.stderr.toLowerCase()).toContain('another run is classifying this folder with this model');
    expect(hold.waiting).toBe(1);
    hold.release();
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
