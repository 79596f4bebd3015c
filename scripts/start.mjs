// Launches the built app in Electron, or says in one line why it cannot.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { electronBinary, installCommand } from './electron-binary.mjs';

const require = createRequire(import.meta.url);

/** Electron ≥ 42 fetches its binary on first use, not at `npm install`: try its own installer once, quietly on failure. */
function installElectron() {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD || process.env.ELECTRON_OVERRIDE_DIST_PATH) return;
  try {
    const installer = join(dirname(require.resolve('electron/package.json')), 'install.js');
    console.log('Fetching the Electron binary (first start)...');
    spawnSync(process.execPath, [installer], { stdio: ['ignore', 'ignore', 'ignore'], timeout: 300_000 });
  } catch {
    // reported below as a missing binary
  }
}

let binary = electronBinary();
if (!binary) {
  installElectron();
  binary = electronBinary();
}
if (!binary) {
  console.error(
    `The Electron binary is not installed (skipped, or no internet): run \`${installCommand}\` with internet access, or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron 45; meanwhile \`npm run host -- <folder>\` shows the app in a browser.`,
  );
  process.exit(1);
}
const child = spawn(binary, ['.', ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
