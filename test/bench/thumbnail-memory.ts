import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createThumbnails } from '../../main/services/thumbnails';
import { benchArg } from './_bench-run';
import { residentBreakdown } from './_smaps';

// What making thumbnails costs main in resident memory: the folder benchmark's 1080p JPEGs rendered
// 3 times over (cache emptied between passes), RSS before, after a GC, and 3 s and a GC later, with
// sharp's operation cache as the app leaves it and turned off. Each variant in its own process.
// Run: npm run bench -- folder --only thumbnails (makes the photos), then
//      npm run bench -- thumbnail-memory [--dir <photos>]

const dir = benchArg('--dir') ?? path.join(os.tmpdir(), 'classify-desk-bench', 'photos-1080p-200');
const variant = process.env.THUMB_MEMORY_VARIANT;

if (!variant) {
  if (!existsSync(dir)) {
    console.error(`No photos at ${dir}: run \`npm run bench -- folder --only thumbnails\` first.`);
    process.exit(2);
  }
  const self = fileURLToPath(import.meta.url);
  for (const name of ['default', 'cache-off']) {
    const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--dir', dir], { stdio: 'inherit', env: { ...process.env, THUMB_MEMORY_VARIANT: name } });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
  process.exit(0);
}

if (variant === 'cache-off') sharp.cache(false);
const gc = (globalThis as { gc?: () => void }).gc!;
const mb = (n: number) => Math.round(n / 1048576);
const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.jpg')).map((f) => path.join(dir, f));
gc();
const before = process.memoryUsage().rss;
const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-bench-thumb-memory-'));
const thumbs = createThumbnails({ cacheDir });
try {
  const t = performance.now();
  for (let pass = 0; pass < 3; pass++) {
    await fs.rm(cacheDir, { recursive: true, force: true });
    await fs.mkdir(cacheDir);
    await Promise.all(files.map((f) => thumbs.thumbnail(f, 256)));
  }
  const ms = performance.now() - t;
  gc();
  const after = process.memoryUsage().rss;
  await new Promise((resolve) => setTimeout(resolve, 3000));
  gc();
  console.log(
    JSON.stringify({
      bench: 'thumbnail-memory',
      variant,
      sharpThreads: sharp.concurrency(),
      renders: thumbs.renders,
      perSecond: Math.round((thumbs.renders * 1000) / ms),
      rssBeforeMb: mb(before),
      rssAfterMb: mb(after),
      rssSettledMb: mb(process.memoryUsage().rss),
      residentMiB: residentBreakdown(),
      sharpCache: sharp.cache(),
    }),
  );
} finally {
  await thumbs.close();
  await fs.rm(cacheDir, { recursive: true, force: true });
}
