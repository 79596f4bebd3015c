import { spawn } from 'node:child_process';
import path from 'node:path';

/** The test peer in its own process (so its image decoding does not share the benchmark's event
 *  loop), answering after `latencyMs`; resolves once it prints its URL. */
export async function startPeerProcess(latencyMs: number): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/peer/cli.ts', '--port', '0', '--latency', String(latencyMs)], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
      if (match) resolve(match[0]);
    });
    child.once('exit', (code) => reject(new Error(`peer exited with ${code}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}
