import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createExporter } from '../../main/services/exporter';
import { benchArg, withExposedGc } from './_bench-run';
import { measureOnLoop } from './_loop-blocks';
import { seededFolder } from './_seeded-folder';

// Main's results export (JSON and CSV) of a folder of N stored results, as the Export menu asks
// for it: wall and CPU time, the longest hold of main's event loop (progress, a cancel and the
// thumbnails wait that long), the growth of main's resident memory at its peak, the file's size.
// Run: npm run bench -- export [--images 250000] (it restarts itself with --expose-gc).

withExposedGc(import.meta.url);

const images = Number(benchArg('--images') ?? 50_000);
const gc = (globalThis as { gc: () => void }).gc;
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-bench-export-'));
const out = await mkdtemp(path.join(os.tmpdir(), 'cd-bench-export-out-'));
try {
  const { folderId, settings, results, library } = await seededFolder(images, dataDir);
  const exporter = createExporter({ results, library, settings: { get: () => settings } });
  for (const format of ['json', 'csv'] as const) {
    gc();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const { value: done, ms, cpuMs, loop } = await measureOnLoop(() => exporter.export({ folderId, format, path: path.join(out, `results.${format}`) }));
    clearInterval(sampler);
    console.log(JSON.stringify({ bench: 'export', images, format, ms, cpuMs, loop, rssPeakGrowthMb: Math.round((peak - before) / 1e6), count: done.count, fileMb: Math.round((await stat(done.path)).size / 1e6) }));
  }
  await results.close();
} finally {
  await rm(dataDir, { recursive: true, force: true });
  await rm(out, { recursive: true, force: true });
}
