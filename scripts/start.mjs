// Launches the built app in Electron, or says in one line why it cannot.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function electronBinary() {
  // Read electron's path.txt directly: requiring the `electron` package would try to download
  // the binary (Electron ≥ 42), which fails without internet.
  try {
    const pkgDir = dirname(require.resolve('electron/package.json'));
    const pathFile = join(pkgDir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const binary = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

/** Electron ≥ 42 fetches its binary on first use: try its own installer once, quietly on failure. */
function installElectron() {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return;
  try {
    const installer = join(dirname(require.resolve('electron/package.json')), 'install.js');
    console.log('Fetching the Electron binary (first start)...');
    spawnSync(process.execPath, [installer], { stdio: ['ignore', 'ignore', 'ignore'], timeout: 300_000 });
  } catch {
    // reported below as a missing binary
  }
}

const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
let binary = override ? join(override, process.platform === 'win32' ? 'electron.exe' : 'electron') : electronBinary();
if (!override && !binary) {
  installElectron();
  binary = electronBinary();
}
if (!binary || !existsSync(binary)) {
  console.error(
    'The Electron binary is not installed (it was skipped or could not be downloaded): run `npx install-electron --no` with internet access, or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron 45; meanwhile `npm run host -- <folder>` shows the app in a browser.',
  );
  process.exit(1);
}
const child = spawn(binary, ['.', ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
