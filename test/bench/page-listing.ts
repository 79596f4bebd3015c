import type { ImageEntry, ScanBatch, ScanIdentities } from '../../app/types';
import { nameOf } from '../../app/scan-batch';
import { EntryColumns } from '../../renderer/src/stores/entry-columns';
import { bigFolderIds } from '../e2e/fixtures';
import { benchArg } from './_bench-run';

// The page's part of taking a listing, in Node, without a browser: N ids in batches of 25,000 as
// a cold scan sends them (sizes -1), then their sizes and mtimes (`scanIdentities`), each parsed
// from JSON as the browser host delivers them. Compares the library store's columns with the
// object per entry it kept before (an ImageEntry per id, another per id when its size came).
// CPU time per pass (process.cpuUsage), so other load on the machine counts less than in wall time.
// Run: npm run bench -- page-listing [--images 250000] [--rounds 5]

const images = Number(benchArg('--images') ?? 250_000);
const rounds = Number(benchArg('--rounds') ?? 5);
const batchSize = 25_000;

const ids = bigFolderIds(images);
const batches: string[] = [];
const identities: string[] = [];
for (let at = 0; at < ids.length; at += batchSize) {
  const part = ids.slice(at, at + batchSize);
  batches.push(JSON.stringify({ folderId: 'f', ids: part, sizes: part.map(() => -1), mtimes: part.map(() => -1) } satisfies ScanBatch));
  const rows = part.map((_, k) => at + k);
  identities.push(JSON.stringify({ folderId: 'f', at: rows, sizes: rows.map((i) => 1000 + i), mtimes: rows.map((i) => 1.7e12 + i + 0.25) } satisfies ScanIdentities));
}

const passes = {
  'parse only': () => {
    let n = 0;
    for (const b of batches) n += (JSON.parse(b) as ScanBatch).ids.length;
    for (const s of identities) if ((JSON.parse(s) as ScanIdentities).at.length === 0) n = -1;
    return n;
  },
  'objects (one ImageEntry per id, replaced when its size comes)': () => {
    const entries: ImageEntry[] = [];
    for (const b of batches) {
      const batch = JSON.parse(b) as ScanBatch;
      for (let i = 0; i < batch.ids.length; i++) entries.push({ id: batch.ids[i], name: nameOf(batch.ids[i]), size: batch.sizes[i], mtimeMs: batch.mtimes[i] });
    }
    for (const s of identities) {
      const { at, sizes, mtimes } = JSON.parse(s) as ScanIdentities;
      for (let k = 0; k < at.length; k++) {
        const old = entries[at[k]];
        if (old) entries[at[k]] = { id: old.id, name: old.name, size: sizes[k], mtimeMs: mtimes[k] };
      }
    }
    return entries.length;
  },
  'columns (EntryColumns)': () => {
    const columns = new EntryColumns();
    for (const b of batches) columns.append(JSON.parse(b) as ScanBatch);
    for (const s of identities) columns.identify(JSON.parse(s) as ScanIdentities);
    return columns.count;
  },
};

const cpu: Record<string, number[]> = {};
for (let round = 0; round < rounds; round++) {
  for (const [name, pass] of Object.entries(passes)) {
    const before = process.cpuUsage();
    if (pass() !== images) throw new Error(`${name}: wrong count`);
    const used = process.cpuUsage(before);
    (cpu[name] ??= []).push((used.user + used.system) / 1000);
  }
}
for (const [name, times] of Object.entries(cpu)) {
  const sorted = times.slice(1).sort((a, b) => a - b);
  console.log(JSON.stringify({ bench: 'page-listing', images, pass: name, cpuMsMedian: Math.round(sorted[sorted.length >> 1]), cpuMsMin: Math.round(sorted[0]), rounds: sorted.length }));
}
