import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

// Where Classify Desk keeps its data. Electron's `app.getPath('userData')` resolves to the same
// folder, so the app, the CLI and the browser host all read one settings file and one cache.

const productName = 'Classify Desk';

/** The OS's per-user application-data folder for `name`, as Electron computes userData. */
export function userDataDir(
  name: string = productName,
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = os.homedir(),
): string {
  if (platform === 'win32') {
    const appData = env.APPDATA || path.win32.join(home, 'AppData', 'Roaming');
    return path.win32.join(appData, name);
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', name);
  const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(config, name);
}

/** The data dir: CLASSIFY_DESK_HOME when set (tests, portable use), else the OS userData dir. */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const override = env.CLASSIFY_DESK_HOME?.trim();
  if (override) return path.resolve(override);
  return userDataDir(productName, platform, env);
}

/** Sub-folders of the data dir, in one place so every service agrees. */
export function dataPaths(dataDir: string) {
  return {
    thumbnails: path.join(dataDir, 'cache', 'thumbnails'),
    /** Folder listings, so a re-opened folder shows its entries before a full scan. */
    listings: path.join(dataDir, 'cache', 'listings'),
  };
}

/** Mode of the files the app keeps for the user (settings, journals, cache files): owner only. */
export const privateFileMode = 0o600;

/** Creates `dir` (and missing parents) readable by the user only, and tightens it if it already
 *  existed. POSIX only: on Windows the per-user profile's ACLs already keep others out. */
export async function makePrivateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') await fs.chmod(dir, 0o700);
}
