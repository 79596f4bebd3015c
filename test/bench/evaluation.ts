import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { idCount } from '../../app/front-coded';
import { createEvaluation } from '../../main/services/evaluation';
import { benchArg, withExposedGc } from './_bench-run';
import { measureOnLoop } from './_loop-blocks';
import { seededFolder } from './_seeded-folder';

// Main's `groundTruth` answer for a folder of N stored results, the one a folder's open asks for
// once its results are in (the renderer computes the metrics from it): wall and CPU time, the
// longest hold of the event loop, the heap it leaves behind before a GC, and the answer's JSON
// size. Twice: the renderer benchmark's folder as it is (its sub-folder names match no class:
// no ground truth) and with every sub-folder mapped to a class (every image labelled).
// Run: npm run bench -- evaluation [--images 250000] [--runs 3] [--profile DIR] (it restarts
// itself with --expose-gc).

withExposedGc(import.meta.url);

const images = Number(benchArg('--images') ?? 50_000);
const runs = Number(benchArg('--runs') ?? 3);
const profileDir = benchArg('--profile');
const emit = (line: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'evaluation', images, ...line }));
const gc = (globalThis as { gc: () => void }).gc;
const heapMb = () => Math.round(process.memoryUsage().heapUsed / 1e6);

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-bench-evaluation-'));
try {
  const { folderId, settings, results, library, labelled } = await seededFolder(images, dataDir);
  const evaluation = createEvaluation({
    library,
    results,
    corrections: { labels: async () => new Map() },
    settings: { get: () => settings },
  });
  const session = profileDir ? new Session() : null;
  if (session) {
    await mkdir(profileDir!, { recursive: true });
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
  }
  for (const [scenario, mapping] of [['no ground truth', {}], ['every image labelled', labelled]] as const) {
    for (let run = 1; run <= runs; run++) {
      gc();
      const before = heapMb();
      if (session && run === runs) await session.post('Profiler.start');
      const { value: answer, ms, cpuMs, loop } = await measureOnLoop(() => evaluation.groundTruth({ folderId, mapping }));
      const heapLeftMb = heapMb() - before;
      if (session && run === runs) {
        const { profile } = await session.post('Profiler.stop');
        await writeFile(path.join(profileDir!, `evaluation-${scenario.replace(/ /g, '-')}.cpuprofile`), JSON.stringify(profile));
      }
      const jsonMb = +(JSON.stringify(answer).length / 1e6).toFixed(1);
      emit({ scenario, run, ms, cpuMs, loop, heapLeftMb, jsonMb, labelled: answer.truth.reduce((sum, [, ids]) => sum + idCount(ids), 0), unmatched: answer.groundTruth.unmatched.length });
    }
  }
  await results.close();
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
