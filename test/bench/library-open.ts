// Main's part of opening an N-image folder, without a page: when the listing's last ids went out
// (the count and every entry can show), when the scan ended (sizes and mtimes read), and the CPU
// it took, for a first open (scan) and a re-open (listing cache). One JSON line per open.
// Run: npm run bench -- library-open [--images 250000]
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Events } from '../../app/contract';
import { createLibrary } from '../../main/services/library';
import { createListingCache } from '../../main/services/listing-cache';
import { ensureBigFolder } from '../e2e/fixtures';
import { runBench } from './_bench-run';

const at = process.argv.indexOf('--images');
const images = at > 0 ? Number(process.argv[at + 1]) : 50_000;

async function main(): Promise<void> {
  const folder = await ensureBigFolder(images);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-bench-listing-'));
  try {
    for (const open of ['first', 're-open'] as const) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      let idsOutMs = 0;
      let ids = 0;
      let batches = 0;
      const library = createLibrary({
        emit: (event, payload) => {
          // What the IPC or SSE layer would do with each event.
          JSON.stringify(payload);
          if (event !== 'scanBatch') return;
          const batch = payload as Events['scanBatch'];
          ids += batch.ids.length;
          batches++;
          if (batch.complete) idsOutMs = performance.now() - started;
        },
        listings: createListingCache({ dir: path.join(dataDir, 'listings') }),
      });
      const info = await library.open(folder, true);
      const done = await library.get(info.folderId)!.done;
      const used = process.cpuUsage(cpu);
      console.log(JSON.stringify({ bench: 'library-open', images, open, ids, batches, cached: done.cached === true, idsOutMs: Math.round(idsOutMs), scanDoneMs: Math.round(performance.now() - started), cpuMs: Math.round((used.user + used.system) / 1000) }));
      // The listing is written after scanDone; the re-open needs it.
      const listings = path.join(dataDir, 'listings');
      for (let waited = 0; waited < 20_000 && open === 'first'; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (existsSync(listings) && readdirSync(listings).some((name) => name.endsWith('.listing'))) break;
      }
      await library.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
