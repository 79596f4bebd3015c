// Where the wait for stored results goes: in the page, each resultsColumns request's start, first
// byte, end and size (resource timing), when the full count, the first badge and all results were shown,
// when each listing batch came, and whether the listing was the cached one. Runs after the first
// wait for the first's listing to be saved (its stat pass outlasts the results), so they are
// re-opens with the listing cached, as the renderer benchmark's second launch is.
// Not run by `npm run bench` (it is for profiling); run it on a built renderer:
//   npx tsx test/bench/_results-timeline.ts [--images 250000] [--runs 2] [--cpu]
// --cpu: per run, the CPU each process had from navigation to every result shown (_cpu-share.ts).
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { launchChromium } from '../support/chromium';
import { bigFolderIds, ensureBigFolder } from '../e2e/fixtures';
import { allResultsShown, seedResults, seededSettings } from './_renderer-results';
import { startHostProcess } from './_host-process';
import { startHost } from '../host/host';
import { startProfiles } from './_profile';
import { benchArg, benchFlag, endBench, runBench, waitForSavedListing } from './_bench-run';
import { startCpuShare } from './_cpu-share';
import { apiRequests, watchScan } from './_start-marks';

const images = Number(benchArg('--images') ?? 250000);
const runs = Number(benchArg('--runs') ?? 2);
/** CPU profiles of the page and the host (then in this process) into this folder. */
const profileDir = benchArg('--profile');
const countText = images.toLocaleString('en-US');
const cpu = benchFlag('--cpu');

runBench(async () => {
  const folder = await ensureBigFolder(images);
  const browser = await launchChromium(['--disable-frame-rate-limit', '--disable-gpu-vsync']);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-results-timeline-'));
  await seedResults(dataDir, folder, bigFolderIds(images));
  const host = profileDir ? await startHost({ dataDir, folder, settings: seededSettings }) : await startHostProcess({ dataDir, folder, settings: seededSettings });
  try {
    for (let run = 0; run < runs; run++) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const profiles = profileDir ? await startProfiles(page, profileDir, `results-${run}`) : null;
      // When each listing batch reached the page's listener, and whether the listing was cached.
      await page.addInitScript(watchScan);
      const share = cpu ? startCpuShare() : null;
      await page.goto(host.url, { waitUntil: 'domcontentloaded' });
      const out = await page.evaluate(`(async () => {
        let countAt = -1;
        let badgeAt = -1;
        while (!${allResultsShown(images)}) {
          if (badgeAt < 0 && document.querySelector('[role="gridcell"][aria-label*="%"]')) badgeAt = performance.now();
          if (countAt < 0 && document.body.textContent.includes(${JSON.stringify(countText + ' images')})) countAt = performance.now();
          await new Promise((r) => setTimeout(r, 20));
        }
        const shown = performance.now();
        const nav = performance.getEntriesByType('navigation')[0];
        const res = (${apiRequests}).map((r) => ({ what: r.name, start: Math.round(r.start), end: Math.round(r.end), kb: Math.round(r.chars / 1024) }));
        return { dcl: Math.round(nav.domContentLoadedEventEnd), countAt: Math.round(countAt), badgeAt: Math.round(badgeAt), shown: Math.round(shown), res, batches: window.__batches.join(' '), cached: window.__cached };
      })()`);
      const used = share?.stop();
      await profiles?.stop();
      const o = out as { dcl: number; countAt: number; badgeAt: number; shown: number; batches: string; cached?: boolean; res: Array<{ what: string; start: number; end: number; kb: number }> };
      console.log(`run ${run}: DCL ${o.dcl} ms, count ${o.countAt} ms, first badge ${o.badgeAt} ms, all results shown ${o.shown} ms`);
      if (used) console.log(`  cpu ${JSON.stringify(used)}`);
      console.log(`  listing ${o.cached === undefined ? 'not ended yet' : o.cached ? 'cached' : 'scanned'}, batches (ms:ids) ${o.batches}`);
      for (const r of o.res) if (r.what.startsWith('results') || r.what.startsWith('open')) console.log(`  ${r.what.padEnd(18)} start ${String(r.start).padStart(5)}  end ${String(r.end).padStart(5)}  ${r.kb} K characters`);
      await page.close();
      // The first launch's listing is saved after its stat pass: the next run re-opens it.
      await waitForSavedListing(dataDir);
    }
  } finally {
    await endBench({ browser, host, dataDir });
  }
});
