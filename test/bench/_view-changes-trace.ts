// Where a view change's frame goes, from a Chromium trace: per change, the renderer main thread's
// self CPU time by kind (script, style, layout, paint and the rest of the frame's main-thread steps),
// raster and image decoding on other threads, and the grid's size (tiles, DOM nodes per tile).
// Not run by `npm run bench` (it is for profiling); run it on a built renderer:
//   npx tsx test/bench/_view-changes-trace.ts [--images 250000] [--renderer dist/renderer] [--reps 3] [--traces DIR]
// --traces: every trace as DIR/<change>-<repeat>.json (opens in Chromium's performance panel).
// Each change runs `reps` times; every repeat is traced (one trace per change and repeat) and the
// table shows the median of each kind.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startHost } from '../host/host';
import { launchChromium } from '../support/chromium';
import { bigFolderIds, ensureBigFolder } from '../e2e/fixtures';
import { actions, allResultsShown, seedResults, seededSettings, timeToPaint } from './_renderer-results';
import { percentile } from './_stats';
import { benchArg, endBench, runBench } from './_bench-run';

const images = Number(benchArg('--images') ?? 250000);
const rendererDir = benchArg('--renderer') ?? 'dist/renderer';
const reps = Number(benchArg('--reps') ?? 3);
const traceDir = benchArg('--traces');
const changes: Array<[string, string]> = [
  ['filter_class_on', actions.classFilter('owl')], ['filter_class_off', actions.classFilter('owl')],
  ['sort_confidence_desc', actions.sort('confidence-desc')], ['sort_class', actions.sort('class')], ['sort_name', actions.sort('name')],
  ['threshold_80', actions.threshold(80)], ['threshold_40', actions.threshold(40)],
  ['search_img_1', actions.search('img_1')], ['search_img_12', actions.search('img_12')], ['search_clear', actions.search('')],
];

interface TraceEvent { name: string; ph: string; ts: number; dur?: number; tdur?: number; pid: number; tid: number; cat: string; args?: { name?: string } }

// Main-thread event names, by the kind of work they stand for (self time: nested events are their own kind).
const kinds: Record<string, string> = {
  FunctionCall: 'script', EvaluateScript: 'script', 'v8.callFunction': 'script', TimerFire: 'script', FireAnimationFrame: 'script', EventDispatch: 'script', RunMicrotasks: 'script', 'V8.GC_SCAVENGER': 'gc', MinorGC: 'gc', MajorGC: 'gc',
  UpdateLayoutTree: 'style', ScheduleStyleRecalculation: 'style', ParseAuthorStyleSheet: 'style',
  Layout: 'layout', PrePaint: 'prepaint', Paint: 'paint', PaintImage: 'paint', Layerize: 'layerize', UpdateLayer: 'layerize', Commit: 'commit',
  HitTest: 'other', ResourceSendRequest: 'other',
};

function summarize(events: TraceEvent[]): Record<string, number> {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const out: Record<string, number> = {};
  const add = (k: string, v: number) => { out[k] = (out[k] ?? 0) + v / 1000; };
  const complete = events.filter((e) => e.ph === 'X' && e.dur !== undefined);
  // Self time on the main thread of the page's renderer.
  const onMain = complete.filter((e) => main && e.pid === main.pid && e.tid === main.tid && kinds[e.name]).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  // Thread CPU time (tdur) where the trace has it: wall time on a shared machine counts waiting.
  const cpu = (e: TraceEvent) => e.tdur ?? e.dur!;
  const stack: Array<{ end: number; kind: string }> = [];
  for (const e of onMain) {
    while (stack.length && stack[stack.length - 1].end <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) add(parent.kind, -cpu(e));
    add(kinds[e.name], cpu(e));
    stack.push({ end: e.ts + e.dur!, kind: kinds[e.name] });
  }
  for (const e of complete) {
    if (!main || e.pid !== main.pid) continue;
    if (e.name === 'RasterTask') add('raster', cpu(e));
    else if (e.name === 'ImageDecodeTask') add('decode', cpu(e));
  }
  return out;
}

runBench(async () => {
  const folder = await ensureBigFolder(images);
  const browser = await launchChromium(['--disable-frame-rate-limit', '--disable-gpu-vsync']);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-vc-trace-'));
  await seedResults(dataDir, folder, bigFolderIds(images));
  const host = await startHost({ dataDir, folder, settings: seededSettings, rendererDir: path.resolve(rendererDir) });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(host.url, { waitUntil: 'domcontentloaded' });
    await page.evaluate(`(async () => {
      while (!${allResultsShown(images)}) await new Promise((r) => setTimeout(r, 20));
    })()`);
    await page.waitForTimeout(1500);
    if (traceDir) await page.screenshot({ path: path.join(traceDir, 'grid.png') });
    console.log('grid', await page.evaluate(`(() => { const g = document.querySelector('[role="grid"]'); return { height: g.clientHeight, width: g.clientWidth, rows: g.querySelectorAll('[role="row"]').length }; })()`));
    const cdp = await page.context().newCDPSession(page);
    const rows = new Map<string, Array<Record<string, number>>>();
    for (let rep = 0; rep < reps; rep++) {
      for (const [name, action] of changes) {
        const events: TraceEvent[] = [];
        const collect = (d: { value: Array<Record<string, unknown>> }) => { events.push(...(d.value as unknown as TraceEvent[])); };
        cdp.on('Tracing.dataCollected', collect);
        const done = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
        await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'cc', 'disabled-by-default-devtools.timeline.frame'] }, transferMode: 'ReportEvents' });
        const ms = await timeToPaint(page, action);
        await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50))))');
        await cdp.send('Tracing.end');
        await done;
        cdp.off('Tracing.dataCollected', collect);
        if (traceDir) { await mkdir(traceDir, { recursive: true }); await writeFile(path.join(traceDir, `${name}-${rep}.json`), JSON.stringify({ traceEvents: events })); }
        const grid = await page.evaluate(`(() => {
          const cells = document.querySelectorAll('[role="gridcell"]');
          const nodes = [...cells].reduce((n, c) => n + c.querySelectorAll('*').length + 1, 0);
          return { tiles: cells.length, nodesPerTile: cells.length ? nodes / cells.length : 0, documentNodes: document.querySelectorAll('*').length };
        })()`) as { tiles: number; nodesPerTile: number; documentNodes: number };
        rows.set(name, [...(rows.get(name) ?? []), { paintMs: ms, ...summarize(events), ...grid }]);
        await page.waitForTimeout(300);
      }
    }
    const cols = ['paintMs', 'script', 'gc', 'style', 'layout', 'prepaint', 'paint', 'layerize', 'commit', 'raster', 'decode', 'tiles', 'nodesPerTile', 'documentNodes'];
    console.log('change'.padEnd(22), cols.map((c) => c.padStart(9)).join(''));
    for (const [name, list] of rows) {
      console.log(name.padEnd(22), cols.map((c) => percentile(list.map((r) => r[c] ?? 0), 50).toFixed(1).padStart(9)).join(''));
    }
  } finally {
    await endBench({ browser, host, dataDir });
  }
});
