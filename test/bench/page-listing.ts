import { codeBatch } from '../../app/scan-batch';
import type { ScanBatch } from '../../app/types';
import { ListedImages } from '../../renderer/src/stores/listed-images';
import { bigFolderIds } from '../e2e/fixtures';
import { benchArg } from './_bench-run';

// The page's part of taking a listing, in Node, without a browser: N ids in batches of 25,000,
// each parsed from JSON as the browser host delivers them and appended to the library store's
// listing. Compares the batches as main sends them (ids only, front-coded) with plain ids and
// with the ones sent before, which also carried a size and an mtime per id: bytes, and CPU time
// per pass (process.cpuUsage, so other load on the machine counts less than wall time).
// Run: npm run bench -- page-listing [--images 250000] [--rounds 5]

const images = Number(benchArg('--images') ?? 250_000);
const rounds = Number(benchArg('--rounds') ?? 5);
const batchSize = 25_000;

const ids = bigFolderIds(images);
const idsOnly: string[] = [];
const coded: string[] = [];
const withFacts: string[] = [];
for (let at = 0; at < ids.length; at += batchSize) {
  const part = ids.slice(at, at + batchSize);
  idsOnly.push(JSON.stringify({ folderId: 'f', ids: part } satisfies ScanBatch));
  coded.push(JSON.stringify(codeBatch({ folderId: 'f', ids: part })));
  // As a cached listing sent them before: a size and a fractional mtime beside every id.
  withFacts.push(JSON.stringify({ folderId: 'f', ids: part, sizes: part.map((_, k) => 3000 + k), mtimes: part.map((_, k) => 1.7e12 + at + k + 0.2722) }));
}

const passes: Record<string, [string[], () => number]> = {
  'ids, sizes and mtimes (before)': [withFacts, () => take(withFacts)],
  'ids only': [idsOnly, () => take(idsOnly)],
  'ids only, front-coded (as sent now)': [coded, () => take(coded)],
};

function take(batches: string[]): number {
  const listed = new ListedImages();
  for (const b of batches) listed.append(JSON.parse(b) as ScanBatch);
  return listed.count;
}

const cpu: Record<string, number[]> = {};
for (let round = 0; round < rounds; round++) {
  for (const [name, [, pass]] of Object.entries(passes)) {
    const before = process.cpuUsage();
    if (pass() !== images) throw new Error(`${name}: wrong count`);
    const used = process.cpuUsage(before);
    (cpu[name] ??= []).push((used.user + used.system) / 1000);
  }
}
for (const [name, times] of Object.entries(cpu)) {
  const sorted = times.slice(1).sort((a, b) => a - b);
  const bytes = passes[name][0].reduce((sum, b) => sum + Buffer.byteLength(b), 0);
  console.log(JSON.stringify({ bench: 'page-listing', images, pass: name, mb: Math.round(bytes / 1e5) / 10, cpuMsMedian: Math.round(sorted[sorted.length >> 1]), cpuMsMin: Math.round(sorted[0]), rounds: sorted.length }));
}
