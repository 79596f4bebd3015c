import { spawnSync } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Browser } from 'playwright-core';

// What every benchmark script does at its edges: read its options, run its main with a failure printed and the exit
// code set, and, for the browser benchmarks, end the browser and the host and remove the data folder.

/** The value after `--name` on the command line, or undefined. */
export function benchArg(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}

/** True when `--name` is on the command line (a switch without a value). */
export function benchFlag(name: string): boolean {
  return process.argv.includes(name);
}

/** For a benchmark that measures memory after a full GC: without `gc` exposed, runs the script at
 *  `moduleUrl` again with --expose-gc (same arguments) and exits with its code; with it, returns. */
export function withExposedGc(moduleUrl: string): void {
  if ((globalThis as { gc?: unknown }).gc) return;
  const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(moduleUrl), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

/** Runs a benchmark's main; a failure is printed and makes the exit code 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

/** Closes the browser (when there is one) and the host, then removes the benchmark's data folder. */
export async function endBench(parts: { browser?: Browser; host: { close(): Promise<void> }; dataDir: string }): Promise<void> {
  await parts.browser?.close();
  await parts.host.close();
  await rm(parts.dataDir, { recursive: true, force: true, maxRetries: 5 });
}

/** Waits (up to a minute) until the host under `dataDir` has saved a folder listing, so the next
 *  start re-opens it cached: a listing is saved after the scan's end, outlasting a page's start. */
export async function waitForSavedListing(dataDir: string): Promise<void> {
  const listings = path.join(dataDir, 'cache', 'listings');
  for (let waited = 0; waited < 60_000; waited += 250) {
    if ((await readdir(listings).catch(() => [])).some((name) => name.endsWith('.listing'))) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
