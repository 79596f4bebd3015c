import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startHost } from '../host/host';
import { launchChromium } from '../support/chromium';
import { assertRendererBuilt, ensureBigFolder } from '../e2e/fixtures';
import { topSelfTimes } from './_profile';
import { benchArg, benchFlag, endBench, runBench } from './_bench-run';
import { startCpuShare } from './_cpu-share';
import { apiRequests, untilCountAndThumbs, watchScan } from './_start-marks';

// Page start, opened up: from navigation to the first thumbnails and the full count, when each
// resource and each request to main started and ended, what the page's main thread did before it
// asked for the folder (CPU profile over the whole start, split at the folder request), for a cold
// open and a re-open of the same folder (listing cached).
// Run: npm run bench -- page-start [--images 250000] [--out DIR] (builds the renderer first)
// --out writes each start's .cpuprofile (chrome://inspect, speedscope) beside the summary.
// --relaunch re-opens through a new host (main started again, as at the app's next launch: it
// reads the start folder's cached listing while the page loads) rather than a new page of the same.
// --cpu adds, per start, the CPU each process had from navigation to the count, thumbnails and
// scan's end (this process: main's services and playwright; Chromium's by type; the busiest
// threads) and the machine's busy share, and takes no CPU profile.

const images = Number(benchArg('--images') ?? 250_000);
const outDir = benchArg('--out');
const cpu = benchFlag('--cpu');
const relaunch = benchFlag('--relaunch');
const countText = `${images.toLocaleString('en-US')} images`;

interface Timeline {
  resources: Array<{ name: string; start: number; end: number }>;
  marks: Record<string, number | string>;
}


const emit = (record: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'page-start', images, ...record }));

async function main(): Promise<void> {
  assertRendererBuilt();
  const folder = await ensureBigFolder(images);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-bench-start-'));
  const browser = await launchChromium(['--enable-precise-memory-info']);
  let host = await startHost({ dataDir, folder });
  try {
    for (const run of ['cold', 'reopen'] as const) {
      if (run === 'reopen' && relaunch) {
        await host.close();
        host = await startHost({ dataDir, folder });
      }
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      // Not with --cpu: the profiler's own work (its sampling thread, a fifth of a second per
      // start) would be counted as the page's.
      const cdp = cpu ? null : await page.context().newCDPSession(page);
      await cdp?.send('Profiler.enable');
      await cdp?.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp?.send('Profiler.start');
      // Profile start in page time: the profile's own clock is monotonic microseconds, the page's
      // performance.now() starts at navigation; both are read after load to align them.
      await page.addInitScript(watchScan);
      const share = cpu ? startCpuShare() : null;
      await page.goto(host.url, { waitUntil: 'commit' });
      const timeline = (await page.evaluate(`(async () => {
        const marks = {};
        while (!window.api) await new Promise((r) => setTimeout(r, 5));
        const batches = window.__batches;
        const seen = (name) => { if (marks[name] === undefined) marks[name] = performance.now(); };
        ${untilCountAndThumbs(countText)}
        const paint = performance.getEntriesByType('paint').map((p) => [p.name, p.startTime]);
        for (const [name, at] of paint) marks[name] = at;
        const nav = performance.getEntriesByType('navigation')[0];
        if (nav) for (const key of ['redirectEnd', 'fetchStart', 'requestStart', 'responseStart', 'responseEnd', 'domInteractive', 'domContentLoadedEventStart', 'domContentLoadedEventEnd']) marks[key] = nav[key];
        for (let waited = 0; window.__scanDoneAt === undefined && waited < 120000; waited += 50) await new Promise((r) => setTimeout(r, 50));
        marks.scanDone = window.__scanDoneAt;
        marks.cached = window.__cached ? 1 : 0;
        marks.hostScanMs = window.__hostMs;
        marks.batches = batches.join(' ');
        marks.longTasks = window.__longTasks.join(' ');
        const entries = performance.getEntriesByType('resource');
        const media = entries.filter((e) => e.name.includes('/media/'));
        // The first screen's thumbnails: when the first few were asked for, and when each came.
        if (media.length > 0) marks.thumbsAsked = Math.round(media[0].startTime) + '–' + Math.round(media[Math.min(7, media.length - 1)].startTime);
        if (media.length > 0) marks.thumbsCame = Math.round(Math.min(...media.slice(0, 8).map((e) => e.responseEnd))) + '–' + Math.round(Math.max(...media.slice(0, 8).map((e) => e.responseEnd)));
        // Of those: the longest wait for a connection in the browser (6 per host over HTTP/1.1: the
        // first screen asks for more), and the longest from request to first byte (main's part).
        if (media.length > 0) marks.thumbsQueuedMax = Math.round(Math.max(...media.slice(0, 8).map((e) => e.requestStart - e.startTime)));
        if (media.length > 0) marks.thumbsServedMax = Math.round(Math.max(...media.slice(0, 8).map((e) => e.responseStart - e.requestStart)));
        const resources = entries.filter((e) => !e.name.includes('/media/')).map((e) => ({ name: e.name.replace(location.origin, ''), start: e.startTime, end: e.responseEnd }))
          .concat((${apiRequests}).map((r) => ({ name: 'api/' + r.name, start: r.start, end: r.end })))
          .sort((a, b) => a.start - b.start);
        return { resources, marks };
      })()`)) as Timeline;
      if (share) emit({ run, cpu: share.stop() });
      else if (cpu) emit({ run, cpu: 'not available (no /proc)' });
      emit({ run, marks: Object.fromEntries(Object.entries(timeline.marks).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v) : v])) });
      for (const r of timeline.resources) emit({ run, resource: r.name.slice(0, 80), startMs: Math.round(r.start), endMs: Math.round(r.end) });
      const profile = cdp ? (await cdp.send('Profiler.stop')).profile : null;
      await cdp?.detach();
      if (profile) emit({ run, top: topSelfTimes(profile, 20) });
      if (outDir && profile) {
        await mkdir(outDir, { recursive: true });
        await writeFile(path.join(outDir, `page-start-${run}-${images}.cpuprofile`), JSON.stringify(profile));
      }
      await page.close();
      // The listing is saved after the scan's end (its name order computed in steps).
      await new Promise((r) => setTimeout(r, 10_000));
    }
  } finally {
    await endBench({ browser, host, dataDir });
  }
}

runBench(main);
