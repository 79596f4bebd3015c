import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classThresholdsKey } from '../../../app/class-thresholds';
import { folderIdOf } from '../../../main/services/library';
import { createSettingsStore } from '../../../main/services/settings-store';
import { runCli } from '../../support/cli-in-process';
import { defaultPeerKey, type Peer } from '../../peer/server';
import { colours, solidJpeg, solidPng } from '../../peer/images';
import { peerAndTempForFile } from '../../support/peer-and-temp';

// `classify-desk evaluate --thresholds` (per-class overrides) and `--html` (the self-contained
// report) against the real peer (colors/1 classifies by dominant colour). At threshold 0.5:
//   red/r1 right; red/y (yellow: red 0.57) right; blue/b1 right; blue/b2 (grey: three-way 1/3, tie
//   broken by name: blue) no prediction; blue/<hostile name> (a red image) blue -> red; green/g1 right.
const hostile = '<img src=x onerror=alert(1)> & "q".jpg';

let tmp: string;
let peer: Peer;

async function fixture(name: string) {
  const folder = path.join(tmp, name, '<script>folder');
  const files: Array<[string, Promise<Buffer>]> = [
    ['red/r1.jpg', solidJpeg(40, 30, colours.red)],
    ['red/y.jpg', solidJpeg(32, 32, colours.yellow)],
    ['blue/b1.jpg', solidJpeg(32, 32, colours.blue)],
    ['blue/b2.png', solidPng(32, 32, colours.grey)],
    [`blue/${hostile}`, solidJpeg(48, 48, colours.red)],
    ['green/g1.jpg', solidJpeg(32, 32, colours.green)],
  ];
  for (const [rel, data] of files) {
    await fs.mkdir(path.dirname(path.join(folder, rel)), { recursive: true });
    await fs.writeFile(path.join(folder, rel), await data);
  }
  return { folder, home: path.join(tmp, name, 'home'), dir: path.join(tmp, name) };
}

const evaluate = (home: string, args: string[]) => runCli(home, ['evaluate', ...args, '--model', 'colors/1', '--api-url', peer.url, '--api-key', defaultPeerKey]);

peerAndTempForFile('cd-cli-report-', (dir, started) => {
  tmp = dir;
  peer = started;
});

describe('classify-desk evaluate --thresholds', () => {
  it('holds the named classes to their own thresholds, in the console, the metrics and the report', async () => {
    const { folder, home, dir } = await fixture('thresholds');
    const report = path.join(dir, 'report.json');
    const base = await evaluate(home, [folder, '--threshold', '0.5']);
    expect(base.code, base.stderr).toBe(0);
    expect(base.stdout).toContain('accuracy: 66.7% (4 of 6 labelled images)');
    // blue at 0.2: the grey image's blue (1/3) passes and is right.
    const lowBlue = await evaluate(home, [folder, '--threshold', '0.5', '--thresholds', 'blue=0.2', '--out', report]);
    expect(lowBlue.code, lowBlue.stderr).toBe(0);
    expect(lowBlue.stdout).toContain('Model colors/1 at threshold 0.5 (per class: blue 0.2)');
    expect(lowBlue.stdout).toContain('accuracy: 83.3% (5 of 6 labelled images)');
    const json = JSON.parse(await fs.readFile(report, 'utf8'));
    expect(json).toMatchObject({ threshold: 0.5, class_thresholds: { blue: 0.2 }, accuracy: 5 / 6 });
    // red at 0.6 as well (repeatable flag): the yellow image's red (0.57) no longer passes.
    const both = await evaluate(home, [folder, '--threshold', '0.5', '--thresholds', 'blue=0.2', '--thresholds', 'red=0.6']);
    expect(both.stdout).toContain('accuracy: 66.7% (4 of 6 labelled images)');
    expect(both.stdout).toMatch(/^red\s+0\s+0\s+1\s+1$/m);
  });

  it('uses the overrides saved in the app for the folder and model when none is given, and warns about unknown classes', async () => {
    const { folder, home } = await fixture('saved');
    const store = createSettingsStore({ dataDir: home });
    store.update({ classThresholds: { [classThresholdsKey(folderIdOf(await fs.realpath(folder)), 'colors/1')]: { blue: 0.2 } } });
    const saved = await evaluate(home, [folder, '--threshold', '0.5']);
    expect(saved.stdout).toContain('accuracy: 83.3% (5 of 6 labelled images)');
    const unknown = await evaluate(home, [folder, '--threshold', '0.5', '--thresholds', 'purple=0.3']);
    expect(unknown.code).toBe(0);
    expect(unknown.stderr).toContain('"purple" is no class of the model');
    expect(unknown.stdout).toContain('accuracy: 66.7%');
  });

  it('refuses a malformed --thresholds and a --html that is no .html file', async () => {
    const { folder, home } = await fixture('bad');
    const bad = await evaluate(home, [folder, '--thresholds', 'blue=2']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--thresholds "blue=2" must be CLASS=T/);
    expect((await evaluate(home, [folder, '--html', 'r.pdf'])).stderr).toMatch(/--html must name a \.html file/);
  });
});

describe('classify-desk evaluate --html', () => {
  it('writes one self-contained page: metrics, matrix, sweep, per-class table, mistakes with thumbnails, names escaped', async () => {
    const { folder, home, dir } = await fixture('html');
    const file = path.join(dir, 'report.html');
    const run = await evaluate(home, [folder, '--threshold', '0.5', '--thresholds', '<b>x</b>=0.3', '--html', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('HTML report written to');
    const html = await fs.readFile(file, 'utf8');
    expect(html).toContain("Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\"");
    expect(html).toContain('66.7%');
    expect(html).toContain('<h2 id="sweep">Threshold sweep</h2>');
    expect(html).toMatch(/<svg[^>]*role="img"/);
    expect(html).toContain('<h2 id="per-class">Per class</h2>');
    // The hostile file name, folder and override are text, never markup.
    expect(html).toContain('blue/&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;.jpg');
    expect(html).toContain('&lt;script&gt;folder');
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt; 0.3');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<b>x');
    // Both mistakes are listed; the decodable ones carry a thumbnail (data: URI, no file reference).
    expect(html).toContain('blue/b2.png');
    expect(html.match(/<img src="data:image\/jpeg;base64,[A-Za-z0-9+/=]+" alt="">/g)?.length).toBe(2);
    expect(html).not.toMatch(/src="(?!data:)/);
  });
});
