import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { HostOptions } from '../host/host';

// The browser host in its own process for the renderer benchmark, so the memory it reports is the
// main process's (services, journals, listings) alone, not that of the benchmark and playwright.
// The child answers `memory` on stdin with one JSON line (after a GC) and stops on `close`.

export interface HostMemory {
  rss: number;
  /** The resident set 3 s and another GC later. */
  rssSettled: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  sharpCache: unknown;
  sharpConcurrency: number;
  /** Resident MiB by kind of mapping (see _smaps.ts). */
  resident: Record<string, number> | null;
}

export interface HostProcess {
  url: string;
  /** The host process's resident set, JS heap and native buffers, in bytes, after a full GC; sharp's cache stats. */
  memory(): Promise<HostMemory>;
  close(): Promise<void>;
}

type Options = Pick<HostOptions, 'dataDir' | 'folder' | 'settings'>;

export async function startHostProcess(opts: Options): Promise<HostProcess> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', self, JSON.stringify(opts)], {
    cwd: path.resolve(path.dirname(self), '../..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => {
    if (line.startsWith('{')) waiting.shift()?.(line);
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      waiting.push(resolve);
      child.once('exit', (code) => reject(new Error(`host process exited with ${code}`)));
    });
  const { url } = JSON.parse(await next()) as { url: string };
  return {
    url,
    async memory() {
      const answer = next();
      child.stdin.write('memory\n');
      return JSON.parse(await answer) as HostMemory;
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.write('close\n');
      await exited;
    },
  };
}

async function serve(opts: Options): Promise<void> {
  const { startHost } = await import('../host/host');
  const host = await startHost(opts);
  console.log(JSON.stringify({ url: host.url }));
  // BENCH_HOST_MEMORY_LOG=1 traces the host's memory every 2 s on stderr, to see which phase grows it.
  if (process.env.BENCH_HOST_MEMORY_LOG) {
    const started = Date.now();
    setInterval(() => {
      const m = process.memoryUsage();
      const mb = (n: number) => Math.round(n / 1048576);
      console.error(`host-memory t=${((Date.now() - started) / 1000).toFixed(0)}s rss=${mb(m.rss)} heapTotal=${mb(m.heapTotal)} heapUsed=${mb(m.heapUsed)} external=${mb(m.external)} arrayBuffers=${mb(m.arrayBuffers)}`);
    }, 2000).unref();
  }
  for await (const command of createInterface({ input: process.stdin })) {
    if (command === 'memory') {
      (globalThis as { gc?: () => void }).gc?.();
      const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
      const { default: sharp } = await import('sharp');
      // V8 gives the pages a GC freed back to the system a little later (a background task), so
      // the resident set right after the GC still counts them: measure again once that has run.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      (globalThis as { gc?: () => void }).gc?.();
      const rssSettled = process.memoryUsage().rss;
      const { residentBreakdown } = await import('./_smaps');
      console.log(JSON.stringify({ rss, rssSettled, heapUsed, heapTotal, external, arrayBuffers, sharpCache: sharp.cache(), sharpConcurrency: sharp.concurrency(), resident: residentBreakdown() }));
    } else if (command === 'close') {
      break;
    }
  }
  await host.close();
  process.exit(0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  serve(JSON.parse(process.argv[2] ?? '{}') as Options).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
