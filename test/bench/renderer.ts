import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startHost } from '../host/host';
import { launchChromium } from '../support/chromium';
import { assertRendererBuilt, bigFolderIds, ensureBigFolder } from '../e2e/fixtures';
import { actions, allResultsShown, seedResults, seededSettings, timeToPaint } from './_renderer-results';
import { startHostProcess } from './_host-process';
import { percentile } from './_stats';
import { startProfiles, type Profiles } from './_profile';
import { benchArg, endBench, runBench, waitForSavedListing } from './_bench-run';
import { apiRequests } from './_start-marks';

// Renderer benchmark (browsing, review and 250,000-image targets): in Chromium via the browser host, the
// time from launching with an N-image folder (navigation start, so page load included) to the
// first painted thumbnails (cold and warm thumbnail cache), to the full count, to N stored results
// shown, view changes and frame times while scrolling. Prints one JSON line per measurement.
// Run: npm run bench -- renderer [--images 250000] [--profile <dir>]
// --profile writes CPU profiles (renderer via CDP, the host's main-process services in-process) of
// the launches and the results load into <dir>, for chrome://inspect or speedscope.

const images = Number(benchArg('--images') ?? 50_000);
const profileDir = benchArg('--profile');
/** The count as the app shows it ("250,000 images"). */
const countText = `${images.toLocaleString('en-US')} images`;
const label = images % 1000 === 0 ? `${images / 1000}k` : String(images);

const emit = (record: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'renderer', ...record }));

// The in-page parts are plain JS strings: tsx (esbuild keepNames) would wrap functions passed to
// page.evaluate in a `__name` helper the page does not have.

/** Waits for painted thumbnails and the full count; times are since navigation start (the folder opens at launch). */
async function timeToFirstThumbnails(page: Page): Promise<{ firstThumbMs: number; countShownMs: number; openStartMs: number; scanMs: number; scanDoneAt: number; cached: boolean }> {
  return page.evaluate(`(async () => {
    let countShownMs = -1;
    // The host's own scan time and when its end reached the page: the rest of the wait is the page's.
    let scanMs = -1;
    let scanDoneAt = -1;
    let cached = false;
    const record = (done, at) => {
      scanMs = done.ms;
      cached = done.cached === true;
      scanDoneAt = at;
    };
    // The page asks for its start folder as it loads: scanDone may have come already (seen by
    // the init script, watchScanDone).
    if (window.__benchScanDone) record(window.__benchScanDone.done, window.__benchScanDone.at);
    else window.api.on('scanDone', (done) => record(done, performance.now()));
    const sawCount = () => {
      if (countShownMs < 0 && document.body.textContent.includes(${JSON.stringify(countText)})) countShownMs = performance.now();
    };
    const firstThumbMs = await new Promise((resolve) => {
      const check = () => {
        sawCount();
        const imgs = [...document.querySelectorAll('[role="gridcell"] img')];
        // Painted: decoded, then one more frame for it to reach the screen.
        if (imgs.length > 0 && imgs.slice(0, 4).every((img) => img.complete && img.naturalWidth > 0)) {
          requestAnimationFrame(() => resolve(performance.now()));
        } else requestAnimationFrame(check);
      };
      check();
    });
    while (countShownMs < 0) {
      await new Promise((r) => setTimeout(r, 20));
      sawCount();
    }
    // The count can come before the scan's end (ids first, sizes after): wait for it to report both.
    for (let waited = 0; scanDoneAt < 0 && waited < 120000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    const open = (${apiRequests}).find((r) => r.name === 'openFolder' || r.name === 'openStartFolder');
    return { firstThumbMs, countShownMs, openStartMs: open ? open.start : 0, scanMs, scanDoneAt, cached };
  })()`);
}

/** Runs before the page's scripts: notes the first scanDone as soon as window.api exists. */
const watchScanDone = `(() => {
  let api;
  Object.defineProperty(window, 'api', {
    configurable: true,
    get: () => api,
    set: (value) => {
      api = value;
      value.on('scanDone', (done) => { if (!window.__benchScanDone) window.__benchScanDone = { done, at: performance.now() }; });
    },
  });
})()`;

/** Scrolls the grid at a steady speed for `ms`, recording requestAnimationFrame deltas. */
async function scrollFrames(page: Page, pxPerSecond: number, ms: number): Promise<number[]> {
  return page.evaluate(`(async () => {
    const grid = document.querySelector('[role="grid"]');
    const deltas = [];
    await new Promise((resolve) => {
      let start = 0;
      let last = 0;
      const step = (now) => {
        deltas.push(now - last);
        grid.scrollTop += (${pxPerSecond} * (now - last)) / 1000;
        last = now;
        if (now - start < ${ms}) requestAnimationFrame(step);
        else resolve();
      };
      requestAnimationFrame((now) => {
        start = now;
        last = now;
        requestAnimationFrame(step);
      });
    });
    return deltas;
  })()`);
}

/** Since navigation: badges, class counts in the footer, the full count and every result in the
 *  Classified filter's count (all pages, not the first) are on the screen. */
async function resultsShownMs(page: Page): Promise<number> {
  const loaded = await page.evaluate(`(async () => {
    while (!${allResultsShown(images)} || !/cat [0-9,]+/.test(document.querySelector('footer')?.textContent ?? '') || !document.body.textContent.includes(${JSON.stringify(countText)})) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return performance.now();
  })()`);
  return Math.round(Number(loaded));
}

/** Review at N stored results: load, filter/sort/threshold to paint, scrolling with overlays, memory. */
async function reviewAtN(browser: Browser, folder: string): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-bench-review-'));
  const seeding = performance.now();
  await seedResults(dataDir, folder, bigFolderIds(images));
  emit({ metric: 'seed_results_ms', value: Math.round(performance.now() - seeding) });
  // The host runs in its own process, so its memory is main's alone; with --profile it stays in
  // this one, where the inspector session profiles it.
  const hostProcess = profileDir ? null : await startHostProcess({ dataDir, folder, settings: seededSettings });
  const host = hostProcess ?? (await startHost({ dataDir, folder, settings: seededSettings }));
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const profiles = profileDir ? await startProfiles(page, profileDir, `results-${label}`) : null;
    await page.addInitScript(watchScanDone);
    await page.goto(host.url, { waitUntil: 'domcontentloaded' });
    emit({ metric: `launch_to_${label}_results_shown_ms`, value: await resultsShownMs(page), listing: 'scanned', target: '<= 3000 at 250k' });
    await profiles?.stop();
    await page.waitForTimeout(500);
    // Each group returns the view to where it started, so it can repeat.
    const groups: Array<Array<[string, string]>> = [
      [['filter_class_on', actions.classFilter('owl')], ['filter_class_off', actions.classFilter('owl')]],
      [['sort_confidence_desc', actions.sort('confidence-desc')], ['sort_class', actions.sort('class')], ['sort_name', actions.sort('name')]],
      [['threshold_80', actions.threshold(80)], ['threshold_40', actions.threshold(40)]],
      [['search_img_1', actions.search('img_1')], ['search_clear', actions.search('')]],
    ];
    if (profileDir) {
      const profiles = await startProfiles(page, profileDir, `view-changes-${label}`);
      for (const group of groups) for (const [, action] of group) await timeToPaint(page, action);
      await profiles.stop();
    }
    // Right after the results show, main is still reading the folder's sizes and dates (a cold
    // listing) and takes one of the two cores; then again once that pass has ended (scanDone).
    for (const phase of ['loading', 'settled'] as const) {
      if (phase === 'settled') {
        // Polled from here: waitForFunction's in-page polling evaluates its predicate with eval,
        // which the page's CSP (script-src 'self') refuses once the first check is false.
        for (const until = Date.now() + 120_000; !(await page.evaluate('window.__benchScanDone !== undefined')); await page.waitForTimeout(100)) {
          if (Date.now() > until) throw new Error('The folder scan did not end within 2 minutes.');
        }
        await page.waitForTimeout(500);
      }
      for (const group of groups) {
        const runs = new Map<string, number[]>();
        for (let round = 0; round < 3; round++) {
          for (const [name, action] of group) runs.set(name, [...(runs.get(name) ?? []), await timeToPaint(page, action)]);
        }
        for (const [name, times] of runs) {
          emit({ metric: 'view_change_to_paint_ms', change: name, phase, median: Number(percentile(times, 50).toFixed(1)), max: Number(Math.max(...times).toFixed(1)), target: 'max <= 100, median <= 30' });
        }
      }
    }
    const deltas = await scrollFrames(page, 4000, 4000);
    emit({ metric: 'scroll_frame_ms_with_overlays', frames: deltas.length, median: Number(percentile(deltas, 50).toFixed(2)), p95: Number(percentile(deltas, 95).toFixed(2)), target: 'median < 8, p95 < 16' });
    const heap = (await page.evaluate('(() => { if (typeof gc === "function") gc(); return performance.memory ? performance.memory.usedJSHeapSize : 0; })()')) as number;
    emit({ metric: `renderer_js_heap_mb_at_${label}_results`, value: Math.round(heap / 1048576), target: '<= 150' });
    if (hostProcess) {
      const memory = await hostProcess.memory();
      emit({ metric: `host_rss_mb_at_${label}_entries_and_results`, value: Math.round(memory.rss / 1048576), settledMb: Math.round(memory.rssSettled / 1048576), heapMb: Math.round(memory.heapUsed / 1048576), heapTotalMb: Math.round(memory.heapTotal / 1048576), externalMb: Math.round(memory.external / 1048576), arrayBuffersMb: Math.round(memory.arrayBuffers / 1048576), sharpCache: memory.sharpCache, sharpConcurrency: memory.sharpConcurrency, residentMiB: memory.resident, target: '<= 400', note: 'the host in its own process (main-process services alone), after a GC' });
    } else {
      if (typeof gc === 'function') gc();
      emit({ metric: `host_rss_mb_at_${label}_entries_and_results`, value: Math.round(process.memoryUsage().rss / 1048576), target: '<= 400', note: 'with --profile the host shares this process with the benchmark and playwright' });
    }
    await page.close();
    // The usual way back to stored results: the folder opened again, its listing cached since the
    // first launch (saved long before, while the views above were timed).
    const again = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await again.goto(host.url, { waitUntil: 'domcontentloaded' });
    emit({ metric: `launch_to_${label}_results_shown_ms`, value: await resultsShownMs(again), listing: 'cached', target: '<= 3000 at 250k' });
    await again.close();
  } finally {
    await endBench({ host, dataDir });
  }
}

async function main(): Promise<void> {
  assertRendererBuilt();
  const folder = await ensureBigFolder(images);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-bench-data-'));
  // Uncapped frames: requestAnimationFrame then runs as fast as the page can produce frames, so the
  // deltas measure the renderer's own cost per frame rather than the 60 Hz vsync.
  const browser = await launchChromium(['--disable-frame-rate-limit', '--disable-gpu-vsync', '--enable-precise-memory-info', '--js-flags=--expose-gc']);
  // The host (main) starts just before the page loads, as the app's window does with main: main
  // starts reading the start folder then, and the browser's own launch must not add to that.
  const host = await startHost({ dataDir, folder });
  try {
    for (const cache of ['cold', 'warm'] as const) {
      // The re-open is of a folder whose listing is cached: main saves it after the scan's end (its
      // name order computed in steps), which a re-open right after the count could beat.
      if (cache === 'warm') await waitForSavedListing(dataDir);
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const profiles: Profiles | null = profileDir ? await startProfiles(page, profileDir, `open-${cache}-${label}`) : null;
      await page.addInitScript(watchScanDone);
      await page.goto(host.url, { waitUntil: 'domcontentloaded' });
      const { firstThumbMs, countShownMs, openStartMs, scanMs, scanDoneAt, cached } = await timeToFirstThumbnails(page);
      await profiles?.stop();
      emit({ metric: `open_${label}_to_first_thumbnails_ms`, cache, value: Math.round(firstThumbMs - openStartMs), target: '< 1000' });
      emit({ metric: `launch_${label}_to_first_thumbnails_ms`, cache, value: Math.round(firstThumbMs), target: '<= 1000 cold' });
      emit({ metric: `launch_${label}_to_full_count_ms`, cache, value: Math.round(countShownMs), target: cache === 'cold' ? '<= 2000' : '<= 1000 (re-open, entries cached)' });
      emit({ metric: `host_scan_${label}_ms`, cache, value: scanMs, listingCached: cached, scanDoneAtMs: Math.round(scanDoneAt), note: 'scanDone.ms, and when scanDone reached the page (since navigation); -1 when it came before the page listened' });
      if (cache === 'warm') {
        for (const speed of [2000, 8000]) {
          const deltas = await scrollFrames(page, speed, 4000);
          emit({
            metric: 'scroll_frame_ms',
            pxPerSecond: speed,
            frames: deltas.length,
            median: Number(percentile(deltas, 50).toFixed(2)),
            p95: Number(percentile(deltas, 95).toFixed(2)),
            target: 'median < 8, p95 < 16',
          });
        }
        const cells = await page.locator('[role="gridcell"]').count();
        emit({ metric: `dom_gridcells_at_${label}`, value: cells, target: '< 500' });
      }
      await page.close();
    }
    await reviewAtN(browser, folder);
  } finally {
    await endBench({ browser, host, dataDir });
  }
}

runBench(main);
