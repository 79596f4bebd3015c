import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { thresholdRule } from '../../app/roboflow';
import { selectionSteps } from '../../main/services/dataset-upload-select';
import { inTurns } from '../../main/services/next-turn';
import { benchArg, withExposedGc } from './_bench-run';
import { measureOnLoop } from './_loop-blocks';
import { seededFolder } from './_seeded-folder';

// Main's plan of a send (the images a preset picks and the label each gets) at N stored results,
// as the Send dialog asks for it and a send starts with: wall and CPU time, the longest hold of
// main's event loop, the heap it leaves before a GC. Every image with its prediction, and the
// mistakes against every sub-folder mapped to a class.
// Run: npm run bench -- send-plan [--images 250000] [--runs 2] (it restarts itself with --expose-gc).

withExposedGc(import.meta.url);

const images = Number(benchArg('--images') ?? 50_000);
const runs = Number(benchArg('--runs') ?? 2);
const gc = (globalThis as { gc: () => void }).gc;
const heapMb = () => Math.round(process.memoryUsage().heapUsed / 1e6);

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-bench-send-plan-'));
try {
  const { entries, settings, results, journal, labelled } = await seededFolder(images, dataDir);
  const scenarios = [
    ['every image, its prediction', 'all', 'predictions', {}],
    ['the mistakes, every image labelled', 'mistakes', 'truth', labelled],
  ] as const;
  for (const [scenario, only, labels, mapping] of scenarios) {
    for (let run = 1; run <= runs; run++) {
      gc();
      const before = heapMb();
      const { value: plan, ms, cpuMs, loop } = await measureOnLoop(() =>
        inTurns(selectionSteps({ entries: entries.values(), only, labels, results: results.stored(journal), correction: () => undefined, threshold: thresholdRule(settings.threshold, null), mapping })),
      );
      console.log(JSON.stringify({ bench: 'send-plan', images, scenario, run, ms, cpuMs, loop, heapLeftMb: heapMb() - before, items: plan.items.length, noLabel: plan.noLabel }));
    }
  }
  await results.close();
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
