// Where the Electron binary is, found without `require('electron')`: from Electron 42 on, requiring
// the package downloads the binary, which fails without internet.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The command that fetches Electron's binary (the package has no install script since Electron 42). */
export const installCommand = 'node node_modules/electron/install.js';

const executables = { darwin: 'Electron.app/Contents/MacOS/Electron', win32: 'electron.exe' };

/** The Electron executable (ELECTRON_OVERRIDE_DIST_PATH first, then node_modules/electron), or null when absent. */
export function electronBinary() {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  let binary = null;
  if (override) {
    binary = join(override, executables[process.platform] ?? 'electron');
  } else {
    try {
      const pkgDir = dirname(require.resolve('electron/package.json'));
      const pathFile = join(pkgDir, 'path.txt');
      if (existsSync(pathFile)) binary = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    } catch {
      // electron is not installed at all
    }
  }
  return binary && existsSync(binary) ? binary : null;
}
