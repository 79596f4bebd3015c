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
    exports: path.join(dataDir, 'exports'),
  };
}
