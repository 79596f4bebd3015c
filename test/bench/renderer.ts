import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startHost } from '../host/host';
import { launchChromium } from '../support/chromium';
import { assertRendererBuilt, ensureBigFolder } from '../e2e/fixtures';
import { actions, seedResults, seededSettings, timeToPaint } from './_renderer-results';
import { percentile } from './_stats';

// Renderer benchmark (issue 2 item 12, issue 5 targets): in Chromium via the browser host, the
// time from launching with a 50,000-image folder (navigation start, so page load included) to the
// first painted thumbnails (cold and warm thumbnail cache),
// and frame times while scrolling. Prints one JSON line per measurement.
// Run: npx tsx test/bench/renderer.ts

const emit = (record: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'renderer', ...record }));

// The in-page parts are plain JS strings: tsx (esbuild keepNames) would wrap functions passed to
// page.evaluate in a `__name` helper the page does not have.

/** Waits for painted thumbnails and the full count; times are since navigation start (the folder opens at launch). */
async function timeToFirstThumbnails(page: Page): Promise<{ firstThumbMs: number; countShownMs: number; openStartMs: number }> {
  return page.evaluate(`(async () => {
    let countShownMs = -1;
    const sawCount = () => {
      if (countShownMs < 0 && document.body.textContent.includes('50,000 images')) countShownMs = performance.now();
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
    const open = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/invoke/openFolder'));
    return { firstThumbMs, countShownMs, openStartMs: open ? open.startTime : 0 };
  })()`);
}

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

/** Review at 50,000 stored results: load, filter/sort/threshold to paint, scrolling with overlays, memory. */
async function reviewAt50k(browser: Browser, folder: string): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-bench-review-'));
  const ids = (await readdir(path.join(folder, 'images'))).filter((n) => n.endsWith('.jpg')).map((n) => `images/${n}`);
  await seedResults(dataDir, folder, ids);
  const host = await startHost({ dataDir, folder, settings: seededSettings });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(host.url, { waitUntil: 'domcontentloaded' });
    const loaded = await page.evaluate(`(async () => {
      while (!document.querySelector('[role="gridcell"][aria-label*="%"]') || !/cat [0-9,]+/.test(document.querySelector('footer')?.textContent ?? '') || !document.body.textContent.includes('50,000 images')) {
        await new Promise((r) => setTimeout(r, 20));
      }
      return performance.now();
    })()`);
    emit({ metric: 'launch_to_50k_results_shown_ms', value: Math.round(Number(loaded)) });
    await page.waitForTimeout(500);
    // Each group returns the view to where it started, so it can repeat.
    const groups: Array<Array<[string, string]>> = [
      [['filter_class_on', actions.classFilter('owl')], ['filter_class_off', actions.classFilter('owl')]],
      [['sort_confidence_desc', actions.sort('confidence-desc')], ['sort_class', actions.sort('class')], ['sort_name', actions.sort('name')]],
      [['threshold_80', actions.threshold(80)], ['threshold_40', actions.threshold(40)]],
      [['search_img_1', actions.search('img_1')], ['search_clear', actions.search('')]],
    ];
    for (const group of groups) {
      const runs = new Map<string, number[]>();
      for (let round = 0; round < 3; round++) {
        for (const [name, action] of group) runs.set(name, [...(runs.get(name) ?? []), await timeToPaint(page, action)]);
      }
      for (const [name, times] of runs) {
        emit({ metric: 'view_change_to_paint_ms', change: name, median: Number(percentile(times, 50).toFixed(1)), max: Number(Math.max(...times).toFixed(1)), target: '< 100' });
      }
    }
    const deltas = await scrollFrames(page, 4000, 4000);
    emit({ metric: 'scroll_frame_ms_with_overlays', frames: deltas.length, median: Number(percentile(deltas, 50).toFixed(2)), p95: Number(percentile(deltas, 95).toFixed(2)), target: 'median < 16' });
    const heap = (await page.evaluate('(() => { if (typeof gc === "function") gc(); return performance.memory ? performance.memory.usedJSHeapSize : 0; })()')) as number;
    emit({ metric: 'renderer_js_heap_mb_at_50k_results', value: Math.round(heap / 1048576), target: '< 300' });
    await page.close();
  } finally {
    await host.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  assertRendererBuilt();
  const folder = await ensureBigFolder(50_000);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-bench-data-'));
  const host = await startHost({ dataDir, folder });
  // Uncapped frames: requestAnimationFrame then runs as fast as the page can produce frames, so the
  // deltas measure the renderer's own cost per frame rather than the 60 Hz vsync.
  const browser = await launchChromium(['--disable-frame-rate-limit', '--disable-gpu-vsync', '--enable-precise-memory-info', '--js-flags=--expose-gc']);
  try {
    for (const cache of ['cold', 'warm'] as const) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.goto(host.url, { waitUntil: 'domcontentloaded' });
      const { firstThumbMs, countShownMs, openStartMs } = await timeToFirstThumbnails(page);
      emit({ metric: 'open_50k_to_first_thumbnails_ms', cache, value: Math.round(firstThumbMs - openStartMs), target: '< 1000' });
      emit({ metric: 'launch_50k_to_first_thumbnails_ms', cache, value: Math.round(firstThumbMs) });
      emit({ metric: 'launch_50k_to_full_count_ms', cache, value: Math.round(countShownMs) });
      if (cache === 'warm') {
        for (const speed of [2000, 8000]) {
          const deltas = await scrollFrames(page, speed, 4000);
          emit({
            metric: 'scroll_frame_ms',
            pxPerSecond: speed,
            frames: deltas.length,
            median: Number(percentile(deltas, 50).toFixed(2)),
            p95: Number(percentile(deltas, 95).toFixed(2)),
            target: 'median < 16',
          });
        }
        const cells = await page.locator('[role="gridcell"]').count();
        emit({ metric: 'dom_gridcells_at_50k', value: cells, target: '< 500' });
      }
      await page.close();
    }
    await reviewAt50k(browser, folder);
  } finally {
    await browser.close();
    await host.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
