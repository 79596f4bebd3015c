// Where a start's time goes in the page, from a Chromium trace: a cold open and a re-open (listing
// cached) of the big folder, each traced from navigation until the full count and the first
// thumbnails show; then, per renderer main-thread task of at least --min ms, when it ran and the
// functions that had its time (the trace's own CPU samples, mapped through the bundle's source
// map), when each listing batch reached the page's listener, and the CPU time of the renderer's
// other threads by kind of work (raster, script parsing, GC, image decoding).
// Not run by `npm run bench` (it is for profiling); run it on a built renderer:
//   npx tsx test/bench/_start-trace.ts [--images 250000] [--min 40] [--traces DIR] [--results]
// --traces: each trace as DIR/start-<run>.json (opens in Chromium's performance panel).
// --results: with a stored result per image (as the renderer benchmark seeds them), each run is
// traced on until every result is shown.
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SourceMapConsumer } from 'source-map-js';
import { startHost } from '../host/host';
import { launchChromium } from '../support/chromium';
import { assertRendererBuilt, bigFolderIds, ensureBigFolder } from '../e2e/fixtures';
import { benchArg, benchFlag, endBench, runBench, waitForSavedListing } from './_bench-run';
import { allResultsShown, seedResults, seededSettings } from './_renderer-results';
import { untilCountAndThumbs, watchScan } from './_start-marks';

const images = Number(benchArg('--images') ?? 250_000);
const minMs = Number(benchArg('--min') ?? 40);
const traceDir = benchArg('--traces');
const withResults = benchFlag('--results');
const countText = `${images.toLocaleString('en-US')} images`;
const categories = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel', 'v8', 'v8.execute', 'blink', 'blink.user_timing', 'loading', 'disabled-by-default-v8.cpu_profiler'];

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { startTime?: number; cpuProfile?: { nodes?: SampleNode[]; samples?: number[] }; timeDeltas?: number[] } };
}
interface SampleNode {
  id: number;
  parent?: number;
  callFrame: { functionName?: string; url?: string; lineNumber?: number; columnNumber?: number };
}

// Work on the renderer's helper threads, by trace event name (GC: V8's background GC events).
const helperKinds: Record<string, string> = {
  RasterTask: 'raster',
  ImageDecodeTask: 'image decode',
  'v8.parseOnBackground': 'script parse',
};

runBench(async () => {
  assertRendererBuilt();
  const folder = await ensureBigFolder(images);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-start-trace-'));
  const browser = await launchChromium();
  if (withResults) await seedResults(dataDir, folder, bigFolderIds(images));
  const host = await startHost({ dataDir, folder, settings: withResults ? seededSettings : undefined });
  const assets = path.resolve('dist/renderer/assets');
  const mapFile = (await readdir(assets)).find((name) => name.startsWith('index-') && name.endsWith('.js.map'));
  const map = mapFile ? new SourceMapConsumer(JSON.parse(await readFile(path.join(assets, mapFile), 'utf8'))) : null;
  try {
    for (const run of ['cold', 'reopen'] as const) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.addInitScript(watchScan);
      await browser.startTracing(page, { categories });
      await page.goto(host.url, { waitUntil: 'commit' });
      const marks = (await page.evaluate(`(async () => {
        const marks = {};
        const seen = (name) => { if (marks[name] === undefined) marks[name] = Math.round(performance.now()); };
        ${untilCountAndThumbs(countText)}
        ${withResults ? `while (!${allResultsShown(images)}) await new Promise((r) => setTimeout(r, 20));
        seen('allResults');` : ''}
        marks.batches = window.__batches.join(' ');
        return marks;
      })()`)) as Record<string, number | string>;
      const trace = await browser.stopTracing();
      if (traceDir) {
        await mkdir(traceDir, { recursive: true });
        await writeFile(path.join(traceDir, `start-${run}.json`), trace);
      }
      const results = withResults ? `, every result ${marks.allResults} ms` : '';
      console.log(`${run}: full count ${marks.fullCount} ms, first thumbnails ${marks.firstThumbs} ms${results}; batches (ms:ids) ${marks.batches}`);
      report(JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] }, map);
      await page.close();
      // The listing is saved after the scan's end: the next run re-opens it.
      await waitForSavedListing(dataDir);
    }
  } finally {
    await endBench({ browser, host, dataDir });
  }
});

function report({ traceEvents: events }: { traceEvents: TraceEvent[] }, map: SourceMapConsumer | null): void {
  const nav = events.find((e) => e.name === 'navigationStart');
  if (!nav) return console.log('  (no navigationStart in the trace)');
  const at = (ts: number) => Math.round((ts - nav.ts) / 1000);
  const threads = new Map(events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [`${e.pid}:${e.tid}`, e.args?.name ?? '']));
  // The page's CPU samples (their own clock: the Profile event's start plus each delta).
  const nodes = new Map<number, SampleNode>();
  const samples: Array<[number, number]> = [];
  let clock = events.find((e) => e.pid === nav.pid && e.name === 'Profile')?.args?.data?.startTime ?? 0;
  for (const chunk of events.filter((e) => e.pid === nav.pid && e.name === 'ProfileChunk').sort((a, b) => a.ts - b.ts)) {
    const data = chunk.args?.data;
    for (const node of data?.cpuProfile?.nodes ?? []) nodes.set(node.id, node);
    (data?.cpuProfile?.samples ?? []).forEach((id, i) => {
      clock += data?.timeDeltas?.[i] ?? 0;
      samples.push([clock, id]);
    });
  }
  const nameOf = (id: number): string => {
    // The nearest frame of the app's own sources (or the host's shim), else the sampled one.
    for (let node = nodes.get(id); node; node = node.parent === undefined ? undefined : nodes.get(node.parent)) {
      const { url = '', lineNumber = 0, columnNumber = 0, functionName = '' } = node.callFrame;
      if (url.includes('host-api')) return `${functionName || '(anonymous)'} (host-api.js)`;
      if (map && url.includes('/assets/index-')) {
        const original = map.originalPositionFor({ line: lineNumber + 1, column: columnNumber });
        if (original.source && !original.source.includes('node_modules')) return `${original.name ?? functionName} (${original.source.split('/').pop()}:${original.line})`;
      }
    }
    const frame = nodes.get(id)?.callFrame;
    return frame?.functionName || '(program)';
  };
  let busy = 0;
  for (const task of events.filter((e) => e.pid === nav.pid && e.tid === nav.tid && e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask')) {
    const ms = (task.dur ?? 0) / 1000;
    busy += ms;
    if (ms < minMs) continue;
    const self = new Map<string, number>();
    for (let i = 0; i < samples.length; i++) {
      const [ts, id] = samples[i];
      if (ts < task.ts || ts > task.ts + (task.dur ?? 0)) continue;
      const name = nameOf(id);
      self.set(name, (self.get(name) ?? 0) + ((samples[i + 1]?.[0] ?? ts) - ts) / 1000);
    }
    const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([name, spent]) => `${name} ${Math.round(spent)}`);
    console.log(`  task at ${at(task.ts)} ms, ${Math.round(ms)} ms: ${top.join(' | ')}`);
  }
  const helpers = new Map<string, number>();
  for (const e of events) {
    if (e.pid !== nav.pid || e.ph !== 'X' || !threads.get(`${e.pid}:${e.tid}`)?.startsWith('ThreadPool')) continue;
    const kind = helperKinds[e.name] ?? (e.name.startsWith('V8.GC') && e.name.includes('BACKGROUND') ? 'gc' : null);
    if (kind) helpers.set(kind, (helpers.get(kind) ?? 0) + (e.dur ?? 0) / 1000);
  }
  console.log(`  main thread busy ${Math.round(busy)} ms in tasks; helper threads: ${[...helpers].map(([kind, ms]) => `${kind} ${Math.round(ms)} ms`).join(', ')}`);
}
