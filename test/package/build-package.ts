import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeElectronDistStandIn } from './electron-dist-stand-in';

// Packages the app the way a release does (`electron-builder --linux dir`), offline: Electron itself
// is a stand-in distribution, everything else (asar, unpacked native modules, file patterns, fuses)
// is electron-builder's real work on the real electron-builder.yml.

const repo = resolve(__dirname, '../..');
export const builtEntryPoints = ['dist/main/index.mjs', 'dist/main/preload.cjs', 'dist/cli.mjs', 'dist/renderer/index.html'];
const sources = ['main', 'app', 'renderer', 'scripts/build-main.mjs', 'scripts/main-builds.mjs', 'vite.config.ts', 'package.json'];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** `npm test` builds before vitest; a test file run on its own builds when dist/ is missing or older than the sources. */
export function ensureBuilt(): void {
  const outputs = builtEntryPoints.map((file) => join(repo, file));
  const fresh =
    outputs.every((file) => existsSync(file)) &&
    Math.min(...outputs.map((file) => statSync(file).mtimeMs)) >= Math.max(...sources.map((path) => newestMtime(join(repo, path))));
  if (fresh) return;
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: repo, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
}

export interface Packaged {
  /** release/linux-unpacked, here in a temp folder. */
  appOutDir: string;
  resources: string;
  executable: string;
  log: string;
}

/** Runs electron-builder for Linux `dir` into `outDir` with a stand-in Electron written to `electronDir`. */
export async function packageLinuxDir(electronDir: string, outDir: string): Promise<Packaged> {
  const electronVersion = (JSON.parse(readFileSync(join(repo, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
  await writeElectronDistStandIn(electronDir, electronVersion);
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const run = spawnSync(
    process.execPath,
    [
      join(repo, 'node_modules/electron-builder/cli.js'),
      '--linux',
      'dir',
      `--${arch}`,
      '--publish',
      'never',
      `-c.electronDist=${electronDir}`,
      `-c.electronVersion=${electronVersion}`,
      `-c.directories.output=${outDir}`,
    ],
    { cwd: repo, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 240_000 },
  );
  const log = `${run.stdout}\n${run.stderr}`;
  if (run.status !== 0) throw new Error(`electron-builder failed (${run.status ?? run.signal}):\n${log}`);
  const appOutDir = join(outDir, arch === 'x64' ? 'linux-unpacked' : `linux-${arch}-unpacked`);
  return { appOutDir, resources: join(appOutDir, 'resources'), executable: join(appOutDir, 'classify-desk'), log };
}
