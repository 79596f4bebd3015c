import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCorrections } from '../../../main/services/corrections';
import { folderIdOf } from '../../../main/services/library';
import { createSettingsStore } from '../../../main/services/settings-store';
import { runCli } from '../../support/cli-in-process';
import { spawnCli } from '../../support/cli-process';
import { defaultPeerKey, type Peer } from '../../peer/server';
import { colours, solidJpeg, solidPng } from '../../peer/images';
import { peerAndTempForFile } from '../../support/peer-and-temp';

// `classify-desk evaluate` against the real peer (model colors/1 classifies by dominant colour) on a
// generated class-folder tree; expected numbers are worked out by hand from the tree below.

let tmp: string;
let peer: Peer;

// At threshold 0.5 (colors/1 gives a solid colour ~0.99, yellow red 0.57 / green 0.43, grey 1/3 each):
//   red/r1.jpg red, red/r2.png red, red/sub/r3.jpg red (nearest class folder), red/y.jpg yellow -> red  : 4 right
//   GREEN/g1.jpg green -> green (folder case ignored), GREEN/g2.jpg blue -> blue                      : 1 right, 1 wrong
//   blue/b1.jpg blue -> blue; blue/b2.png grey -> top 0.33 < 0.5: no prediction                        : 1 right, 1 wrong
//   misc/u1.jpg (red image; "misc" is no class) and top.jpg: unlabeled; blue/broken.jpg: error
async function tree(root: string): Promise<void> {
  const files: Array<[string, Promise<Buffer> | string]> = [
    ['red/r1.jpg', solidJpeg(64, 48, colours.red)],
    ['red/r2.png', solidPng(40, 40, colours.red)],
    ['red/sub/r3.jpg', solidJpeg(32, 32, colours.red)],
    ['red/y.jpg', solidJpeg(32, 32, colours.yellow)],
    ['GREEN/g1.jpg', solidJpeg(32, 32, colours.green)],
    ['GREEN/g2.jpg', solidJpeg(32, 32, colours.blue)],
    ['blue/b1.jpg', solidJpeg(32, 32, colours.blue)],
    ['blue/b2.png', solidPng(32, 32, colours.grey)],
    ['misc/u1.jpg', solidJpeg(32, 32, colours.red)],
    ['top.jpg', solidJpeg(32, 32, colours.green)],
    ['blue/broken.jpg', 'this is not a jpeg'],
  ];
  for (const [rel, data] of files) {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), await data);
  }
}

/** `classify-desk evaluate` against the test peer. */
const evaluate = (home: string, args: string[]) => runCli(home, ['evaluate', ...args, '--model', 'colors/1', '--api-url', peer.url, '--api-key', defaultPeerKey]);

async function fixture(name: string) {
  const folder = path.join(tmp, name, 'images');
  await tree(folder);
  return { folder, home: path.join(tmp, name, 'home'), report: path.join(tmp, name, 'report.json') };
}

peerAndTempForFile('cd-cli-evaluate-', (dir, started) => {
  tmp = dir;
  peer = started;
});

describe('classify-desk evaluate', () => {
  it('classifies the tree, prints accuracy and the matrix, and writes exactly the report format', async () => {
    const { folder, home, report } = await fixture('basic');
    const before = peer.stats.inferences;
    const run = await evaluate(home, [folder, '--threshold', '0.5', '--out', report]);
    expect(run.code, run.stderr).toBe(0);
    expect(peer.stats.inferences - before).toBeGreaterThanOrEqual(10);
    expect(run.stdout).toContain('accuracy: 75.0% (6 of 8 labelled images)');
    expect(run.stdout).toContain('unlabeled 2, errors 1');
    expect(run.stdout).toMatch(/^green\s+1\s+1\s+0\s+0$/m);
    expect(run.stdout).toMatch(/^blue\s+1\s+0\s+0\s+1$/m);
    expect(run.stderr).toContain('"misc" (1 image) matches no class');
    const json = JSON.parse(await fs.readFile(report, 'utf8'));
    expect(json).toEqual({
      format: 'classify-desk-eval/v2',
      model: 'colors/1',
      threshold: 0.5,
      classes: ['blue', 'green', 'red'],
      accuracy: 0.75,
      per_class: {
        blue: { precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
        green: { precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
        red: { precision: 1, recall: 1, f1: 1, support: 4 },
      },
      // The "(none)" column of the console's matrix is no_prediction.
      confusion: { labels: ['blue', 'green', 'red'], matrix: [[1, 0, 0], [1, 1, 0], [0, 0, 4]], no_prediction: [1, 0, 0] },
      unlabeled: 2,
      errors: 1,
      // Everything else the console says, where the results come from, and when.
      multi_label: false,
      counts: { images: 11, evaluated: 8, correct: 6, no_prediction: 1, unlabeled: 2, errors: 1, not_classified: 0 },
      macro_avg: { precision: json.macro_avg.precision, recall: json.macro_avg.recall, f1: json.macro_avg.f1 },
      weighted_avg: { precision: json.weighted_avg.precision, recall: json.weighted_avg.recall, f1: json.weighted_avg.f1 },
      folder: await fs.realpath(folder),
      endpoint: peer.url,
      created: json.created,
      class_thresholds: {},
      mistakes: [
        { path: 'blue/b2.png', truth: ['blue'], prediction: [], confidence: expect.closeTo(1 / 3, 2) },
        { path: 'GREEN/g2.jpg', truth: ['green'], prediction: ['blue'], confidence: expect.any(Number) },
      ],
    });
    expect(json.macro_avg.recall).toBeCloseTo((0.5 + 0.5 + 1) / 3, 12);
    expect(json.weighted_avg.recall).toBeCloseTo(0.75, 12);
    expect(run.stdout).toContain('macro avg');
    expect(Number.isNaN(Date.parse(json.created))).toBe(false);

    // Stored results are reused: a second evaluation at another threshold sends only the new
    // image (classified first); nothing already classified goes to the server again.
    await fs.writeFile(path.join(folder, 'GREEN', 'g3.jpg'), await solidJpeg(33, 31, colours.green));
    const sentBefore = new Map(peer.stats.perImage);
    const again = await evaluate(home, [folder, '--threshold', '0.3', '--out', report]);
    expect(again.code, again.stderr).toBe(0);
    const sentAgain = [...peer.stats.perImage].filter(([key, n]) => n !== sentBefore.get(key));
    expect(sentAgain).toHaveLength(1);
    const second = JSON.parse(await fs.readFile(report, 'utf8'));
    // grey is now predicted (three-way tie broken by name: blue) and g3 is a new right answer.
    expect(second).toMatchObject({ threshold: 0.3, accuracy: 8 / 9, confusion: { matrix: [[2, 0, 0], [1, 2, 0], [0, 0, 4]] } });
  });

  it('uses a labels CSV instead of folders, a --map for odd names, and the app\'s corrections on top', async () => {
    const { folder, home, report } = await fixture('csv');
    const labels = path.join(tmp, 'csv', 'labels.csv');
    // Header in another order, quotes, CRLF; "rouge" needs --map; a path not in the folder is reported.
    await fs.writeFile(
      labels,
      'label,path\r\n"Green","red/r1.jpg"\r\nred,red/r2.png\r\nrouge,misc/u1.jpg\r\nBLUE,blue/b1.jpg\r\nred,nowhere.jpg\r\n',
    );
    const corrections = createCorrections({ dataDir: home });
    await corrections.set(folderIdOf(await fs.realpath(folder)), ['red/r1.jpg'], { label: 'red' });
    await corrections.close();
    // The app mapped "rouge" to blue for this folder; --map below overrides that.
    createSettingsStore({ dataDir: home }).rememberMapping(folderIdOf(await fs.realpath(folder)), { rouge: 'blue' });
    const run = await evaluate(home, [folder, '--labels', labels, '--map', 'rouge=red', '--threshold', '0.5', '--out', report]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('1 path(s) name no image of the folder, e.g. nowhere.jpg');
    const json = JSON.parse(await fs.readFile(report, 'utf8'));
    // r1 corrected to red (right), r2 red (right), u1 mapped red (right), b1 blue (right).
    expect(json).toMatchObject({ accuracy: 1, unlabeled: 6, errors: 1, confusion: { matrix: [[1, 0, 0], [0, 0, 0], [0, 0, 3]] } });
    expect(json.per_class.green).toEqual({ precision: null, recall: null, f1: null, support: 0 });

    // Without --map the app's mapping applies: u1 (a red image) is truly blue now, and wrong.
    const stored = await evaluate(home, [folder, '--labels', labels, '--threshold', '0.5', '--out', report]);
    expect(stored.code, stored.stderr).toBe(0);
    expect(stored.stderr).not.toContain('rouge');
    expect(JSON.parse(await fs.readFile(report, 'utf8'))).toMatchObject({ accuracy: 0.75, confusion: { matrix: [[1, 0, 1], [0, 0, 0], [0, 0, 2]] } });
  });

  it('evaluates a multi-label model by exact match and per-class precision/recall', async () => {
    const { folder, home, report } = await fixture('multi');
    const { code, stdout, stderr } = await runCli(home, ['evaluate', folder, '--model', 'colors-multi/1', '--api-url', peer.url, '--api-key', defaultPeerKey, '--threshold', '0.5', '--out', report]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('exact-match ratio: 62.5% (5 of 8 labelled images)');
    // Sigmoid per channel: yellow is red + green, grey (~0.504 each) is all three; exact: r1 r2 r3 g1 b1.
    const json = JSON.parse(await fs.readFile(report, 'utf8'));
    expect(json.accuracy).toBe(0.625);
    expect(json.per_class.red).toEqual({ precision: 0.8, recall: 1, f1: 8 / 9, support: 4 });
    expect(json.per_class.green.precision).toBeCloseTo(1 / 3, 12);
    expect(json.per_class.green.recall).toBe(0.5);
    expect(json.per_class.blue.precision).toBeCloseTo(2 / 3, 12);
    expect(json.per_class.blue.recall).toBe(1);
  });

  it('writes the labels with where each came from (--labels-out), leaving out prediction-only images on request', async () => {
    const { folder, home } = await fixture('labels-out');
    const file = path.join(tmp, 'labels-out', 'labels.csv');
    const all = await evaluate(home, [folder, '--threshold', '0.5', '--labels-out', file]);
    expect(all.code, all.stderr).toBe(0);
    const rows = (await fs.readFile(file, 'utf8')).split('\r\n');
    expect(rows[0]).toBe('path,label,label_source');
    expect(rows).toContain('misc/u1.jpg,red,prediction');
    expect(rows).toContain('top.jpg,green,prediction');
    expect(rows).toContain('GREEN/g2.jpg,green,truth');
    const confirmed = await evaluate(home, [folder, '--threshold', '0.5', '--labels-out', file, '--only-confirmed']);
    expect(confirmed.code, confirmed.stderr).toBe(0);
    const kept = (await fs.readFile(file, 'utf8')).split('\r\n');
    expect(kept.filter((r) => r.endsWith(',prediction'))).toEqual([]);
    expect(kept).toHaveLength(rows.length - 2);
    expect((await evaluate(home, [folder, '--only-confirmed'])).code).toBe(2);
  });

  it('exits 1 with one clear line, not a table of dashes, when nothing can be evaluated', async () => {
    const folder = path.join(tmp, 'loose', 'images');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(folder, 'a.jpg'), await solidJpeg(32, 32, colours.red));
    const report = path.join(tmp, 'loose', 'report.json');
    const run = await evaluate(path.join(tmp, 'loose', 'home'), [folder, '--out', report]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^classify-desk evaluate: nothing to evaluate: no image has both a result and a known class \(1 image: 1 unlabeled/);
    await expect(fs.stat(report)).rejects.toThrow();
  });

  it('refuses bad arguments with exit code 2 and a one-line reason', async () => {
    const home = path.join(tmp, 'bad-home');
    const notFolder = await evaluate(home, [path.join(tmp, 'nope')]);
    expect(notFolder.code).toBe(2);
    expect(notFolder.stderr).toMatch(/is not a folder/);
    const { folder } = await fixture('bad');
    expect((await evaluate(home, [folder, '--threshold', '2'])).stderr).toMatch(/--threshold must be a number from 0 to 1/);
    expect((await evaluate(home, [folder, '--map', 'x'])).code).toBe(2);
    expect((await evaluate(home, [folder, '--out', 'r.txt'])).code).toBe(2);
  });

  it('stops with exit code 2 on a systemic error (unknown model) and writes no report', async () => {
    const { folder, home, report } = await fixture('systemic');
    const { code, stderr } = await runCli(home, ['evaluate', folder, '--model', 'nope/1', '--api-url', peer.url, '--api-key', defaultPeerKey, '--out', report]);
    expect(code).toBe(2);
    await expect(fs.stat(report)).rejects.toThrow();
    expect(stderr).not.toContain(defaultPeerKey);
  });

  it('runs as a command line (the built classify-desk evaluate ...)', async () => {
    const { folder, home, report } = await fixture('process');
    const run = spawnCli(['evaluate', folder, '--model', 'colors/1', '--api-url', peer.url, '--threshold', '0.5', '--out', report], {
      CLASSIFY_DESK_HOME: home,
      ROBOFLOW_API_KEY: defaultPeerKey,
    });
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toContain('accuracy: 75.0%');
    expect(JSON.parse(await fs.readFile(report, 'utf8')).accuracy).toBe(0.75);
  });
});
