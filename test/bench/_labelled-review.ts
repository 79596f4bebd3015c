import { mkdtemp, realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { normaliseLabel } from '../../app/ground-truth';
import { folderIdOf } from '../../main/services/library';
import { launchChromium } from '../support/chromium';
import { assertRendererBuilt, bigFolderIds, ensureBigFolder } from '../e2e/fixtures';
import { actions, allResultsShown, benchClasses, seedResults, seededSettings, timeToPaint } from './_renderer-results';
import { startHostProcess } from './_host-process';
import { apiRequests, watchScan } from './_start-marks';
import { percentile } from './_stats';
import { benchArg, endBench, runBench } from './_bench-run';

// A labelled folder in the page: the renderer benchmark's folder and stored results with every
// sub-folder mapped to a class (as the mapping editor would), so main's groundTruth answer carries a
// true label per image. From a start with the mapping stored: when every result showed, when the
// first true label showed on a tile, the page's long tasks from navigation until then, view changes
// to paint with the truth in place, the page's JS heap and the host's RSS.
// Not run by `npm run bench`; run it on a built renderer:
//   npx tsx test/bench/_labelled-review.ts [--images 250000]

const images = Number(benchArg('--images') ?? 250_000);
const emit = (line: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'labelled-review', images, ...line }));

async function main(): Promise<void> {
  assertRendererBuilt();
  const folder = await ensureBigFolder(images);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-bench-labelled-'));
  await seedResults(dataDir, folder, bigFolderIds(images));
  const host = await startHostProcess({ dataDir, folder, settings: seededSettings });
  const browser = await launchChromium(['--enable-precise-memory-info', '--js-flags=--expose-gc']);
  try {
    const folderId = folderIdOf(await realpath(folder));
    const mapping: Record<string, string> = {};
    for (const id of bigFolderIds(images)) {
      const sub = id.split('/').at(-2)!;
      mapping[normaliseLabel(sub)] ??= benchClasses[Object.keys(mapping).length % benchClasses.length];
    }
    const first = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await first.goto(host.url, { waitUntil: 'domcontentloaded' });
    await first.evaluate(`window.api.setGroundTruthMapping(${JSON.stringify({ folderId, mapping })})`);
    await first.close();
    for (let run = 1; run <= 2; run++) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      // Its long tasks as "start+duration" (watchScan notes them from the page's start).
      await page.addInitScript(watchScan);
      await page.goto(host.url, { waitUntil: 'domcontentloaded' });
      const marks = (await page.evaluate(`(async () => {
        let results = -1;
        for (;;) {
          if (results < 0 && ${allResultsShown(images)}) results = performance.now();
          if (document.querySelector('[role="gridcell"][aria-label*="truth:"]')) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        return { resultsShown: Math.round(results), truthShown: Math.round(performance.now()) };
      })()`)) as { resultsShown: number; truthShown: number };
      const tasks = ((await page.evaluate('window.__longTasks')) as string[]).map((task) => task.split('+').map(Number) as [number, number]);
      const after = tasks.filter(([at]) => at >= marks.resultsShown - 1000);
      emit({ run, ...marks, longTasksFromResultsMinus1s: after.map(([at, ms]) => `${at}+${ms}`).join(' '), longestMs: Math.max(0, ...after.map(([, ms]) => ms)) });
      await page.waitForTimeout(1000);
      const groups: Array<Array<[string, string]>> = [
        [['filter_class_on', actions.classFilter('owl')], ['filter_class_off', actions.classFilter('owl')]],
        [['sort_confidence_desc', actions.sort('confidence-desc')], ['sort_name', actions.sort('name')]],
        [['threshold_80', actions.threshold(80)], ['threshold_40', actions.threshold(40)]],
      ];
      for (const group of groups) {
        const times = new Map<string, number[]>();
        for (let round = 0; round < 3; round++) for (const [name, action] of group) times.set(name, [...(times.get(name) ?? []), await timeToPaint(page, action)]);
        for (const [name, t] of times) emit({ run, change: name, median: +percentile(t, 50).toFixed(1), max: +Math.max(...t).toFixed(1) });
      }
      const asked = (await page.evaluate(`(${apiRequests}).map((r) => r.name + '@' + Math.round(r.start) + '-' + Math.round(r.end)).filter((n) => /groundTruth|resultsColumns|staleResults|corrections/.test(n)).join(' ')`)) as string;
      emit({ run, requests: asked });
      const heap = (await page.evaluate('(() => { if (typeof gc === "function") gc(); return performance.memory ? performance.memory.usedJSHeapSize : 0; })()')) as number;
      const memory = await host.memory();
      emit({ run, heapMb: Math.round(heap / 1048576), hostRssMb: Math.round(memory.rss / 1048576), hostSettledMb: Math.round(memory.rssSettled / 1048576) });
      await page.close();
    }
  } finally {
    await endBench({ browser, host, dataDir });
  }
}

runBench(main);
