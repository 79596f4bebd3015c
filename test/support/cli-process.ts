import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

// The CLI as a real process, for what only a process shows: a kill -9, two runs at once, a
// terminal prompt, everything a process prints. It runs the bundle `npm run build` writes
// (dist/cli.mjs, what `npm install -g` users run) with plain node: no per-call TypeScript compile.

export const repoRoot = path.resolve(import.meta.dirname, '../..');
const bundle = path.join(repoRoot, 'dist/cli.mjs');

/** `[node, dist/cli.mjs]`; throws when the bundle is missing, so the test fails with the fix in its message. */
export function cliCommand(): [string, string] {
  if (!existsSync(bundle)) throw new Error('dist/cli.mjs is missing: run `npm run build` first (npm test does).');
  return [process.execPath, bundle];
}

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  done: Promise<CliExit>;
}

/**
 * Starts `classify-desk <args>` with exactly `env` (nothing inherited, so no key or data folder of
 * the machine leaks in) and `input` on stdin. In its own process group, so `process.kill(-pid)`
 * reaches it whole.
 */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, input = ''): CliProcess {
  const [node, cli] = cliCommand();
  const child = spawn(node, [cli, ...args], { cwd: repoRoot, env: { PATH: process.env.PATH, ...env }, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin?.end(input);
  const done = new Promise<CliExit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}
