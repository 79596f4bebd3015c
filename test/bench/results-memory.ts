import { mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { apiRef } from '../../app/model-ref';
import { encodeResults } from '../../app/result-columns';
import { endpointBase } from '../../app/settings';
import { folderIdOf } from '../../main/services/library';
import { createResultsStore } from '../../main/services/results';
import { bigFolderIds, ensureBigFolder } from '../e2e/fixtures';
import { benchArg, withExposedGc } from './_bench-run';
import { seedResults, seededSettings } from './_renderer-results';
import { residentBreakdown } from './_smaps';
import { watchLoopBlocks } from './_loop-blocks';

// Main's side of showing N stored results, alone: loading the results journal, then every page as
// the renderer reads it (`resultsColumns`), with CPU time, bytes sent and this process's memory
// after a GC at each step, and the longest time the event loop was held at a stretch (`loop`:
// nothing else main serves goes on meanwhile); then a re-open (through the briefs sidecar the seeding's open wrote)
// and a read of the whole journal without it. Uses the renderer benchmark's folder and seeded journal (cached under
// the temp dir). Run: npm run bench -- results-memory [--images 250000] (it restarts itself with
// --expose-gc so memory is measured after a full GC).

withExposedGc(import.meta.url);

const images = Number(benchArg('--images') ?? 50_000);
const emit = (line: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'results-memory', images, ...line }));
const gc = (globalThis as { gc?: () => void }).gc;
const memory = () => {
  gc?.();
  const { rss, heapUsed, heapTotal } = process.memoryUsage();
  return { rssMb: Math.round(rss / 1e6), heapMb: Math.round(heapUsed / 1e6), heapTotalMb: Math.round(heapTotal / 1e6), gc: Boolean(gc), residentMiB: residentBreakdown() };
};

type Store = ReturnType<typeof createResultsStore>;
async function summaryPage(store: Pick<Store, 'page'>, folderId: string, offset: number, limit: number) {
  const page = await store.page(folderId, offset, limit);
  return encodeResults(page.total, page.items);
}

const folder = await ensureBigFolder(images);
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-bench-results-memory-'));
try {
  await seedResults(dataDir, folder, bigFolderIds(images));
  const folderId = folderIdOf(await realpath(folder));
  const ref = apiRef(endpointBase(seededSettings as never), seededSettings.model!);
  emit({ step: 'start', ...memory() });
  const store = createResultsStore({ dataDir, settings: { get: () => seededSettings as never } });
  let cpu = process.cpuUsage();
  let wall = performance.now();
  let loop = watchLoopBlocks();
  const journal = await store.journal(folderId, ref);
  emit({ step: 'journal loaded', records: journal.size, fromSidecar: journal.stats.sidecar === true, ms: Math.round(performance.now() - wall), cpuMs: Math.round(process.cpuUsage(cpu).user / 1000), loop: loop.stop(), ...memory() });
  cpu = process.cpuUsage();
  wall = performance.now();
  loop = watchLoopBlocks();
  let bytes = 0;
  for (let offset = 0, limit = 10_000; ; offset += limit, limit = 50_000) {
    // Before resultsColumns (figures of the older code): the summary page, packed the same way.
    const page = 'columns' in store ? await store.columns(folderId, offset, limit) : await summaryPage(store, folderId, offset, limit);
    bytes += JSON.stringify(page).length;
    if (offset + limit >= page.total) break;
  }
  emit({ step: 'every page', ms: Math.round(performance.now() - wall), cpuMs: Math.round(process.cpuUsage(cpu).user / 1000), jsonMb: +(bytes / 1e6).toFixed(1), loop: loop.stop(), ...memory() });
  // Closing waits for the briefs sidecar written after the first load; a re-open reads it.
  await store.close();
  const again = createResultsStore({ dataDir, settings: { get: () => seededSettings as never } });
  cpu = process.cpuUsage();
  wall = performance.now();
  loop = watchLoopBlocks();
  const reopened = await again.journal(folderId, ref);
  const reopenLoop = loop.stop();
  emit({ step: 'journal re-opened', records: reopened.size, fromSidecar: reopened.stats.sidecar === true, sidecarMb: +((await stat(reopened.path.replace(/\.jsonl$/, '.briefs')).catch(() => ({ size: 0 }))).size / 1e6).toFixed(1), ms: Math.round(performance.now() - wall), cpuMs: Math.round(process.cpuUsage(cpu).user / 1000), loop: reopenLoop, ...memory() });
  await again.close();
  // The same journal read whole, as before the sidecar (or when it does not match).
  await rm(reopened.path.replace(/\.jsonl$/, '.briefs'), { force: true });
  const whole = createResultsStore({ dataDir, settings: { get: () => seededSettings as never } });
  cpu = process.cpuUsage();
  wall = performance.now();
  loop = watchLoopBlocks();
  const read = await whole.journal(folderId, ref);
  emit({ step: 'journal read whole (no sidecar)', records: read.size, fromSidecar: read.stats.sidecar === true, ms: Math.round(performance.now() - wall), cpuMs: Math.round(process.cpuUsage(cpu).user / 1000), loop: loop.stop(), ...memory() });
  await whole.close();
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
