import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resultsEndpoint } from '../../../app/model-ref';
import { folderIdOf } from '../../../main/services/library';
import { journalKey } from '../../../main/services/results';
import { runCli } from '../../support/cli-in-process';
import { defaultPeerKey, startPeer, type Peer } from '../../peer/server';
import { colours, solidJpeg } from '../../peer/images';
import { writeColourImages } from '../../support/colour-images';
import { peerAndTempForFile } from '../../support/peer-and-temp';

// `classify-desk models pull | list | rm` against the test peer's /ort route, then `infer` and
// `evaluate --engine on-device` with the peer closed and no key anywhere: offline, on this computer.

let tmp: string;
let peer: Peer;

const cli = runCli;

peerAndTempForFile('cd-cli-models-', (dir, started) => {
  tmp = dir;
  peer = started;
});

describe('classify-desk models and infer --engine on-device', () => {
  it('pulls once, then classifies and evaluates offline with no key; results are kept apart from the API', async () => {
    const home = path.join(tmp, 'home');
    const folder = path.join(tmp, 'images');
    const images = await writeColourImages(folder, 6);
    const evalFolder = path.join(tmp, 'eval');
    for (const [rel, colour] of [['red/a.jpg', colours.red], ['green/b.jpg', colours.green], ['blue/c.jpg', colours.blue], ['blue/d.jpg', colours.blue]] as const) {
      await fs.mkdir(path.dirname(path.join(evalFolder, rel)), { recursive: true });
      await fs.writeFile(path.join(evalFolder, rel), await solidJpeg(32, 32, colour));
    }

    // A peer of its own, closed halfway.
    const online = await startPeer();
    const pulled = await cli(home, ['models', 'pull', 'colors/1', '--platform-url', online.url, '--api-key', defaultPeerKey]);
    expect(pulled.stderr).toContain('Downloaded colors/1');
    expect(pulled.code).toBe(0);
    const listed = await cli(home, ['models', 'list']);
    expect(listed.code).toBe(0);
    const [line] = listed.stdout.trim().split('\n');
    const cells = line.split('\t');
    expect(cells.slice(0, 3)).toEqual(['colors/1', 'single-label', 'red;green;blue']);
    const sha256 = cells[5];
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);

    // Offline from here: the peer is gone and no key is given anywhere.
    await online.close();
    const run = await cli(home, ['infer', folder, '--model', 'colors/1', '--engine', 'on-device']);
    expect(run.stderr).toContain('Classified 6 images');
    expect(run.code).toBe(0);
    for (const image of images) expect(run.stdout).toMatch(new RegExp(`${image.id}\\tdone\\t${image.expected}\\t0\\.\\d{4}`));
    // Kept under the device's endpoint string, not an API's.
    const endpoint = resultsEndpoint({ engine: 'on-device', model: 'colors/1', sha256 });
    expect(endpoint).toBe(`on-device:${sha256.slice(0, 16)}`);
    const journal = path.join(home, 'results', `${journalKey(folderIdOf(await fs.realpath(folder)), { engine: 'on-device', model: 'colors/1', sha256 })}.jsonl`);
    expect((await fs.readFile(journal, 'utf8')).trim().split('\n')).toHaveLength(6);

    const again = await cli(home, ['infer', folder, '--model', 'colors/1', '--engine', 'on-device']);
    expect(again.stderr).toContain('(6 already done');

    const out = path.join(tmp, 'report.json');
    const evaluated = await cli(home, ['evaluate', evalFolder, '--model', 'colors/1', '--engine', 'on-device', '--threshold', '0.5', '--out', out]);
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(await fs.readFile(out, 'utf8'))).toMatchObject({ accuracy: 1, errors: 0, confusion: { matrix: [[2, 0, 0], [0, 1, 0], [0, 0, 1]] } });

    expect((await cli(home, ['models', 'rm', 'colors/1'])).code).toBe(0);
    expect((await cli(home, ['models', 'rm', 'colors/1'])).code).toBe(1);
    const gone = await cli(home, ['infer', folder, '--model', 'colors/1', '--engine', 'on-device']);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('classify-desk models pull colors/1');
  }, 120_000);

  it('a refused key or an unsupported model fails the pull with exit 2 and the key redacted', async () => {
    const home = path.join(tmp, 'home-bad');
    const wrong = 'rf_wrong_key_0000111122223333';
    const refused = await cli(home, ['models', 'pull', 'colors/1', '--platform-url', peer.url, '--api-key', wrong]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('unauthorized');
    expect(refused.stderr).not.toContain(wrong);
    const detection = await cli(home, ['models', 'pull', 'traffic-signs/1', '--platform-url', peer.url, '--api-key', defaultPeerKey]);
    expect(detection.code).toBe(2);
    expect(detection.stderr).toMatch(/object-detection model/);
    expect((await cli(home, ['models', 'pull', 'not a model'])).code).toBe(2);
    expect((await cli(home, ['infer', tmp, '--model', 'colors/1', '--engine', 'gpu'])).stderr).toContain('--engine must be roboflow-api or on-device');
    const help = await cli(home, ['--help']);
    expect(help.stdout).toContain('models <pull|list|rm>');
  });
});
