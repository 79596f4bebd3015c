import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { HostOptions } from '../host/host';

// The browser host in its own process for the renderer benchmark, so the memory it reports is the
// main process's (services, journals, listings) alone, not that of the benchmark and playwright.
// The child answers `memory` on stdin with one JSON line (after a GC) and stops on `close`.

export interface HostProcess {
  url: string;
  /** The host process's resident set and JS heap, in bytes, after a full GC. */
  memory(): Promise<{ rss: number; heapUsed: number }>;
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
      return JSON.parse(await answer) as { rss: number; heapUsed: number };
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
  for await (const command of createInterface({ input: process.stdin })) {
    if (command === 'memory') {
      (globalThis as { gc?: () => void }).gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      console.log(JSON.stringify({ rss, heapUsed }));
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
