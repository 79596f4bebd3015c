// `npm run dev [-- <folder>]`: watches everything and runs the app.
// - main, preload, workers and CLI (scripts/main-builds.mjs): esbuild rebuilds on change, then the
//   app restarts: Electron when its binary is installed, otherwise the browser host
//   (test/host/cli.ts, on the same port and data folder, so reloading the page reaches new code).
// - renderer: `vite build --watch` rebuilds on change; reload the window (Ctrl+R) or the page.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context } from 'esbuild';
import { electronBinary } from './electron-binary.mjs';
import { mainBuilds } from './main-builds.mjs';

const args = process.argv.slice(2);
const vite = join('node_modules', 'vite', 'bin', 'vite.js');

const first = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
if (first.status !== 0) process.exit(first.status ?? 1);
const rendererWatch = spawn(process.execPath, [vite, 'build', '--watch', '--logLevel', 'warn'], { stdio: 'inherit' });

const binary = electronBinary();
const app = binary ? electronApp(binary) : await hostApp();

// A change can touch all five builds, and esbuild's watchers notice it at slightly different times:
// restart once no build is running and none has started for a moment; restarts never overlap.
let ready = 0;
let building = 0;
let restartTimer = null;
let restarting = Promise.resolve();
const scheduleRestart = () => {
  clearTimeout(restartTimer);
  restartTimer = setTimeout(() => {
    if (building === 0) restarting = restarting.then(() => app.restart());
  }, 500);
};
const contexts = await Promise.all(
  mainBuilds.map((options) =>
    context({
      ...options,
      plugins: [
        {
          name: 'restart-app',
          setup(build) {
            let built = false;
            build.onStart(() => {
              building += 1;
              clearTimeout(restartTimer);
            });
            build.onEnd((result) => {
              building -= 1;
              if (result.errors.length > 0) {
                clearTimeout(restartTimer);
                console.error('[dev] main did not build: the running app keeps the last good build.');
                return;
              }
              if (!built) {
                built = true;
                if (++ready === mainBuilds.length) app.start();
                return;
              }
              scheduleRestart();
            });
          },
        },
      ],
    }),
  ),
);
await Promise.all(contexts.map((ctx) => ctx.watch()));

/** Electron on dist/main; closing its window ends `npm run dev`. */
function electronApp(path) {
  let child = null;
  let restarting = false;
  const start = () => {
    child = spawn(path, ['.', ...args], { stdio: 'inherit' });
    child.on('exit', (code) => {
      if (restarting) return;
      void shutdown(code ?? 0);
    });
  };
  return {
    start,
    async restart() {
      console.log('[dev] main rebuilt: restarting Electron.');
      restarting = true;
      await stop(child);
      restarting = false;
      start();
    },
    stop: () => stop(child),
  };
}

/** The browser host from source (tsx), restarted on one port and one data folder. */
async function hostApp() {
  console.log('[dev] The Electron binary is not installed (see `npm start`): running the browser host instead.');
  const extra = [];
  if (!args.includes('--port')) extra.push('--port', String(await freePort()));
  let dataDir = null;
  if (!args.includes('--data') && !process.env.CLASSIFY_DESK_HOME) {
    dataDir = mkdtempSync(join(tmpdir(), 'classify-desk-dev-'));
    extra.push('--data', dataDir);
  }
  // One session token for every restart: the open page keeps it as a cookie.
  const env = { ...process.env, CLASSIFY_DESK_HOST_TOKEN: randomBytes(32).toString('base64url') };
  let child = null;
  const start = () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'test/host/cli.ts', ...args, ...extra], { stdio: 'inherit', env });
  };
  return {
    start,
    async restart() {
      console.log('[dev] main rebuilt: restarting the host; reload the page.');
      await stop(child);
      start();
    },
    async stop() {
      await stop(child);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  clearTimeout(restartTimer);
  await Promise.all(contexts.map((ctx) => ctx.dispose()));
  rendererWatch.kill('SIGTERM');
  await app.stop();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
