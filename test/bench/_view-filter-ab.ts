// View changes in Node, two versions of app/view-filter.ts in one process, interleaved, so a shared
// machine's load falls on both alike: CPU time (process.cpuUsage) per change of the renderer
// benchmark's sequence, median over the rounds, and the ratio.
// Run: npx tsx test/bench/_view-filter-ab.ts --old <dir holding an older app/> [--images 250000] [--rounds 9] [--cold]
//   e.g. mkdir /tmp/old && git archive <commit> app | tar -x -C /tmp/old (its imports resolve from
//   this checkout's node_modules only if the folder is inside it: use a folder under the checkout).
// --cold: a new prepared view every round (as after a results change), so only the name index is shared.
import path from 'node:path';
import * as newVF from '../../app/view-filter';
import * as newH from '../../app/confidence-histogram';
import type { ImageEntry, ResultSummary } from '../../app/types';
import { benchArg } from './_bench-run';

const oldDir = path.resolve(benchArg('--old') ?? '.');
const oldVF = (await import(path.join(oldDir, 'app/view-filter.ts'))) as typeof newVF;
const oldH = (await import(path.join(oldDir, 'app/confidence-histogram.ts'))) as typeof newH;
const N = Number(benchArg('--images') ?? 250000);
const classes = ['cat', 'dog', 'owl', 'fox', 'bee'];
const entries: ImageEntry[] = [];
for (let d = 0; d < N / 1000; d++) for (let f = 0; f < 1000; f++) entries.push({ id: `dir_${String(d).padStart(3, '0')}/img_${String(f).padStart(4, '0')}.jpg`, name: '', size: 1, mtimeMs: 0 });
const results: ResultSummary[] = entries.map((e, i) => {
  const top = classes[(i * 7) % 5];
  const conf = 0.3 + ((i * 37) % 70) / 100;
  const rest = (1 - conf) / 4;
  return { id: e.id, status: 'done', stale: false, multiLabel: false, scores: [top, ...classes.filter((c) => c !== top)].map((c, k) => [c, k === 0 ? conf : rest] as [string, number]) };
});
const f = (patch: Partial<newVF.ViewFilter>): newVF.ViewFilter => ({ ...newVF.defaultFilter, ...patch });
const owl = f({ classes: new Set(['owl']) });
const s1 = f({ search: 'img_1' });
const s12 = f({ search: 'img_12' });
// The bench's sequence: each step is a new filter object (as setFilter makes).
const steps: Array<[string, () => [newVF.ViewFilter, newVF.SortKey, number]]> = [
  ['filter_class_on', () => [{ ...owl }, 'name', 0.4]],
  ['filter_class_off', () => [f({}), 'name', 0.4]],
  ['sort_confidence_desc', () => [f({}), 'confidence-desc', 0.4]],
  ['sort_class', () => [f({}), 'class', 0.4]],
  ['sort_name', () => [f({}), 'name', 0.4]],
  ['threshold_80', () => [f({}), 'name', 0.8]],
  ['threshold_40', () => [f({}), 'name', 0.4]],
  ['search_img_1', () => [{ ...s1 }, 'name', 0.4]],
  ['search_img_12', () => [{ ...s12 }, 'name', 0.4]],
  ['search_clear', () => [f({}), 'name', 0.4]],
];
const cold = process.argv.includes('--cold');
const namesOld = oldVF.buildNameIndex(entries);
const namesNew = newVF.buildNameIndex(entries);
let prepOld = oldVF.prepareView(namesOld, results);
let prepNew = newVF.prepareView(namesNew, results);
const times = new Map<string, number[]>();
const rounds = Number(benchArg('--rounds') ?? 9);
for (let r = 0; r < rounds; r++) {
  if (cold) {
    prepOld = oldVF.prepareView(namesOld, results);
    prepNew = newVF.prepareView(namesNew, results);
  }
  for (const [label, vf, H, prep] of [['old', oldVF, oldH, prepOld], ['new', newVF, newH, prepNew]] as const) {
    for (const [name, step] of steps) {
      const [fl, sort, thr] = step();
      const c0 = process.cpuUsage();
      const v = vf.buildPreparedView(prep, fl, sort, thr);
      // What the page does per change besides: the histogram of the view.
      // (an older histogram module may lack histogramOfView)
      if (label === 'old' || !('histogramOfView' in H)) H.confidenceHistogram(prep, v.order, -1);
      else H.histogramOfView(prep, v, -1);
      const cpu = process.cpuUsage(c0);
      const ms = (cpu.user + cpu.system) / 1000;
      const k = `${name} ${label}`;
      times.set(k, [...(times.get(k) ?? []), ms]);
    }
  }
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const [name] of steps) {
  const o = med(times.get(`${name} old`)!);
  const n = med(times.get(`${name} new`)!);
  console.log(name.padEnd(22), 'old', o.toFixed(2).padStart(7), 'new', n.toFixed(2).padStart(7), 'ratio', (o / n).toFixed(1));
}
