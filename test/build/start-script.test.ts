import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `npm start` where the Electron binary is missing: one line on stderr whose remedy is a command that
// exists and is Electron's own installer (Electron ≥ 42 has no install script: the binary is fetched
// on first use, so `npm ci` alone never installs it).

const repo = resolve(__dirname, '../..');
let empty: string;

beforeAll(async () => {
  empty = await mkdtemp(join(tmpdir(), 'cd-no-electron-'));
});
afterAll(async () => {
  await rm(empty, { recursive: true, force: true });
});

function start(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // An empty ELECTRON_OVERRIDE_DIST_PATH: no binary whether or not this machine has one, and no download attempt.
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: repo,
    env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: empty },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

describe('npm start without the Electron binary', () => {
  it('says so in one line, with a remedy that names Electron\'s real installer', async () => {
    const run = await start();
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/at .*:\d+:\d+/);
    const remedy = /run `node ([^`]+)`/.exec(lines[0]);
    expect(remedy, lines[0]).not.toBeNull();
    const installer = remedy![1];
    expect(existsSync(join(repo, installer))).toBe(true);
    const electron = JSON.parse(readFileSync(join(repo, 'node_modules/electron/package.json'), 'utf8')) as {
      bin: Record<string, string>;
      scripts?: Record<string, string>;
    };
    expect(join('node_modules/electron', electron.bin['install-electron'])).toBe(join(installer));
    // It downloads the binary that `npm ci` does not: no install script would have fetched it.
    expect(electron.scripts?.install ?? electron.scripts?.postinstall).toBeUndefined();
    expect(readFileSync(join(repo, installer), 'utf8')).toContain('downloadArtifact');
    expect(lines[0]).toContain('npm run host');
  });
});
