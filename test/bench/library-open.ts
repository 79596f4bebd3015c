// Main's part of opening an N-image folder, without a page: when the listing's last ids went out
// (the count and every entry can show), when the scan ended (sizes and mtimes read), and the CPU
// it took, for a first open (scan) and a re-open (listing cache). One JSON line per open.
// With --thumbs K, the first K images' thumbnails are asked for through the media handler as the
// last ids go out (the page's first screen, while main reads sizes and mtimes or re-checks a
// cached listing), each open with a fresh thumbnail cache; `thumbsMs` is when the last came.
// --foreground off serves them without going ahead of the background passes (to compare).
// --thumbs-at first asks for them with the first batch instead (the ids pass still running).
// `loop`: the longest time main's event loop was held at a stretch until the last ids went out
// (nothing else served meanwhile), and until the scan's end.
// Run: npm run bench -- library-open [--images 250000] [--thumbs 40] [--thumbs-at first] [--foreground off]
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Events } from '../../app/contract';
import { thumbUrl } from '../../app/media-urls';
import { createForeground } from '../../main/services/foreground';
import { createLibrary } from '../../main/services/library';
import { createListingCache } from '../../main/services/listing-cache';
import { createMediaHandler } from '../../main/services/media';
import { createThumbnails } from '../../main/services/thumbnails';
import { ensureBigFolder } from '../e2e/fixtures';
import { benchArg, runBench } from './_bench-run';
import { idCount, idsOf } from '../../app/front-coded';
import { watchLoopBlocks, type LoopBlocks } from './_loop-blocks';

const images = Number(benchArg('--images') ?? 50_000);
const thumbs = Number(benchArg('--thumbs') ?? 0);
const withForeground = benchArg('--foreground') !== 'off';
/** `first`: asked with the first batch (the page's first screen while the ids are still being
 *  listed); default: as the last ids go out. */
const thumbsAtFirst = benchArg('--thumbs-at') === 'first';

async function main(): Promise<void> {
  const folder = await ensureBigFolder(images);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cd-bench-listing-'));
  try {
    for (const open of ['first', 're-open'] as const) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const loop = watchLoopBlocks();
      let loopUntilIds: ReturnType<LoopBlocks['stop']> | null = null;
      let idsOutMs = 0;
      let ids = 0;
      let batches = 0;
      const firstIds: string[] = [];
      let thumbsAsked: Promise<number> | null = null;
      const foreground = withForeground ? createForeground() : undefined;
      const thumbnails = createThumbnails({ cacheDir: path.join(dataDir, `thumbs-${open}`) });
      const library = createLibrary({
        emit: (event, payload) => {
          // What the IPC or SSE layer would do with each event.
          JSON.stringify(payload);
          if (event !== 'scanBatch') return;
          const batch = payload as Events['scanBatch'];
          ids += idCount(batch.ids);
          batches++;
          if (firstIds.length < thumbs) firstIds.push(...idsOf(batch.ids).slice(0, thumbs - firstIds.length));
          if (thumbs > 0 && !thumbsAsked && (thumbsAtFirst || batch.complete)) thumbsAsked = askThumbs(batch.folderId, firstIds);
          if (batch.complete) {
            idsOutMs = performance.now() - started;
            loopUntilIds = loop.peek();
          }
        },
        foreground,
        listings: createListingCache({ dir: path.join(dataDir, 'listings'), turn: foreground?.turn }),
      });
      const media = createMediaHandler({ library, thumbnails, foreground });
      async function askThumbs(folderId: string, wanted: string[]): Promise<number> {
        const asked = performance.now();
        await Promise.all(wanted.map(async (id) => {
          const response = await media(new Request(`http://bench/${thumbUrl(folderId, id, 256)}`));
          if (!response.ok) throw new Error(`thumbnail of ${id}: ${response.status}`);
          await response.arrayBuffer();
        }));
        return Math.round(performance.now() - asked);
      }
      const info = await library.open(folder, true);
      const done = await library.get(info.folderId)!.done;
      const scanDoneMs = Math.round(performance.now() - started);
      const loopUntilDone = loop.stop();
      const thumbsMs = thumbsAsked ? await thumbsAsked : undefined;
      const used = process.cpuUsage(cpu);
      console.log(JSON.stringify({ bench: 'library-open', images, open, ids, batches, cached: done.cached === true, idsOutMs: Math.round(idsOutMs), scanDoneMs, cpuMs: Math.round((used.user + used.system) / 1000), loop: { untilIdsOut: loopUntilIds, untilScanDone: loopUntilDone }, ...(thumbs ? { thumbs, thumbsAt: thumbsAtFirst ? 'first' : 'complete', foreground: withForeground, thumbsMs } : {}) }));
      // The listing is written after scanDone; the re-open needs it.
      const listings = path.join(dataDir, 'listings');
      for (let waited = 0; waited < 20_000 && open === 'first'; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (existsSync(listings) && readdirSync(listings).some((name) => name.endsWith('.listing'))) break;
      }
      await library.close();
      await thumbnails.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
