// View changes at N stored results in Chromium, built renderers side by side (e.g. main's dist/renderer
// copied aside, and this checkout's): one host per renderer (same folder, same seeded results), pages
// taking turns round by round. Per change: ms to the next painted frame, and from CDP's
// Performance.getMetrics the page's main-thread CPU time (ThreadTime), script, and style + layout
// time, so a shared machine's load (which stretches the wall clock) compares less unevenly.
// Not run by `npm run bench` (it needs built renderers to compare); run it directly:
//   npx tsx test/bench/_view-changes-ab.ts --renderers /tmp/old-renderer,dist/renderer [--images 250000] [--rounds 2] [--profile DIR]
// --profile: a CPU profile of each change (first round, second repeat) under DIR.
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startHost } from '../host/host';
import { launchChromium } from '../support/chromium';
import { bigFolderIds, ensureBigFolder } from '../e2e/fixtures';
import { actions, allResultsShown, seedResults, seededSettings, timeToPaint } from './_renderer-results';
import { percentile } from './_stats';
import { benchArg } from './_bench-run';

const images = Number(benchArg('--images') ?? 250000);
const dirs = (benchArg('--renderers') ?? '').split(',');
const profDir = benchArg('--profile');
const rounds = Number(benchArg('--rounds') ?? 2);
const groups: Array<Array<[string, string]>> = [
  [['filter_class_on', actions.classFilter('owl')], ['filter_class_off', actions.classFilter('owl')]],
  [['sort_confidence_desc', actions.sort('confidence-desc')], ['sort_class', actions.sort('class')], ['sort_name', actions.sort('name')]],
  [['threshold_80', actions.threshold(80)], ['threshold_40', actions.threshold(40)]],
  [['search_img_1', actions.search('img_1')], ['search_img_12', actions.search('img_12')], ['search_clear', actions.search('')]],
];
async function main() {
  const folder = await ensureBigFolder(images);
  const browser = await launchChromium(['--disable-frame-rate-limit', '--disable-gpu-vsync', '--enable-precise-memory-info', '--js-flags=--expose-gc']);
  const hosts = [];
  for (const dir of dirs) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-vc-ab-'));
    await seedResults(dataDir, folder, bigFolderIds(images));
    hosts.push({ dir, dataDir, host: await startHost({ dataDir, folder, settings: seededSettings, rendererDir: dir }) });
  }
  const times = new Map<string, number[]>();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const { dir, host } of hosts) {
        const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
        await page.goto(host.url, { waitUntil: 'domcontentloaded' });
        const shown = await page.evaluate(`(async () => {
          while (!${allResultsShown(images)}) await new Promise((r) => setTimeout(r, 20));
          return performance.now();
        })()`);
        const key = (n: string) => `${path.basename(path.dirname(dir))}/${path.basename(dir)} ${n}`;
        times.set(key('results_shown'), [...(times.get(key('results_shown')) ?? []), Number(shown)]);
        await page.waitForTimeout(1500);
        const perf = await page.context().newCDPSession(page);
        await perf.send('Performance.enable', { timeDomain: 'threadTicks' });
        const metrics = async () => Object.fromEntries(((await perf.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> }).metrics.map((m) => [m.name, m.value]));
        const add = (k: string, v: number) => times.set(k, [...(times.get(k) ?? []), v]);
        for (const group of groups) {
          for (let rep = 0; rep < 3; rep++) {
            for (const [name, action] of group) {
              let cdp = null;
              if (profDir && round === 0 && rep === 1) {
                cdp = await page.context().newCDPSession(page);
                await cdp.send('Profiler.enable');
                await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
                await cdp.send('Profiler.start');
              }
              const m0 = await metrics();
              const ms = await timeToPaint(page, action);
              const m1 = await metrics();
              if (!cdp) {
                add(key(name) + ' cpu', (m1.ThreadTime - m0.ThreadTime) * 1000);
                add(key(name) + ' script', (m1.ScriptDuration - m0.ScriptDuration) * 1000);
                add(key(name) + ' style+layout', (m1.RecalcStyleDuration - m0.RecalcStyleDuration + m1.LayoutDuration - m0.LayoutDuration) * 1000);
              }
              if (cdp) {
                const { profile } = await cdp.send('Profiler.stop');
                await mkdir(profDir!, { recursive: true });
                await writeFile(path.join(profDir!, `${hosts.findIndex((h) => h.dir === dir)}-${name}.cpuprofile`), JSON.stringify(profile));
                await cdp.detach();
              } else times.set(key(name), [...(times.get(key(name)) ?? []), ms]);
            }
          }
        }
        await perf.detach();
        await page.close();
      }
    }
  } finally {
    for (const h of hosts) { await h.host.close(); await rm(h.dataDir, { recursive: true, force: true }); }
    await browser.close();
  }
  for (const [k, v] of times) console.log(k.padEnd(60), 'median', percentile(v, 50).toFixed(1), 'max', Math.max(...v).toFixed(1), 'n', v.length);
}
main().catch((e) => { console.error(e); process.exitCode = 1; });
