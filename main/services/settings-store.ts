import { statSync } from 'node:fs';
import Conf from 'conf';
import { AppFailure } from '../../app/errors';
import {
  labelMappingSchema,
  maxGroundTruthMappings,
  normaliseSettings,
  settingsPatchSchema,
  windowStateSchema,
  type Settings,
  type SettingsPatch,
  type WindowState,
} from '../../app/settings';

// Settings on disk: `<dataDir>/config.json`, the file electron-store uses in Electron's userData,
// so the app, the CLI and the host share it. Every read goes through normaliseSettings, so a
// hand-edited or older file is repaired instead of trusted. No secret is ever stored here: the
// schema has no field for one and unknown fields are dropped on every write.

const maxRecent = 10;

/** `config.json` as main sees it (the renderer's SettingsStore is the window's copy, fed over IPC). */
export interface SettingsFile {
  get(): Settings;
  update(patch: SettingsPatch): Settings;
  rememberFolder(path: string): void;
  /** Keeps the folder's ground-truth mapping first (an empty one forgets it); at most 50 folders. */
  rememberMapping(folderId: string, mapping: Record<string, string | null>): Record<string, string | null>;
  /** Remembers a file the person chose in main's file dialog (see chosenFiles). */
  rememberChosenFile(path: string): void;
  isChosenFile(path: string): boolean;
  /** The origins a profile's key was entered for (see credentials' key gate). */
  keyOrigins(profile: string): string[];
  setKeyOrigins(profile: string, origins: string[]): void;
  getWindowState(): WindowState | undefined;
  setWindowState(state: WindowState): void;
  /** Calls `listener` whenever the recent-folders list changes (the app menu shows it). */
  onRecentChange(listener: () => void): () => void;
  /** Where the file lives (for diagnostics). */
  readonly path: string;
}

/** What the store needs from conf or electron-store (Electron passes its own instance). */
export interface SettingsBacking {
  store: Record<string, unknown>;
  readonly path: string;
}

export function createSettingsStore(opts: { dataDir: string; backing?: SettingsBacking }): SettingsFile {
  const conf: SettingsBacking =
    opts.backing ??
    new Conf<Record<string, unknown>>({
      cwd: opts.dataDir,
      configName: 'config',
      projectName: 'classify-desk',
      // A corrupt file is not worth a crash: settings fall back to defaults.
      clearInvalidConfig: true,
      configFileMode: 0o600, // private data folder: only the user may read settings
    });
  const recentListeners = new Set<() => void>();

  // Jobs read settings once per image: parse and repair the file only when it changed on disk (the
  // CLI writes the same file), not on every call.
  let cached: { settings: Settings; stamp: string } | null = null;
  const stampOf = (): string => {
    try {
      const info = statSync(conf.path);
      return `${info.size}:${info.mtimeMs}`;
    } catch {
      return 'missing';
    }
  };
  const read = (): Settings => {
    const stamp = stampOf();
    if (cached?.stamp !== stamp) cached = { settings: Object.freeze(normaliseSettings(conf.store)), stamp };
    return cached.settings;
  };
  const write = (next: Settings): Settings => {
    const clean = Object.freeze(normaliseSettings(next));
    conf.store = clean as unknown as Record<string, unknown>;
    cached = { settings: clean, stamp: stampOf() };
    return clean;
  };

  return {
    path: conf.path,
    get: read,
    update(patch) {
      const parsed = settingsPatchSchema.safeParse(patch);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AppFailure('invalid_input', `Invalid setting ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'bad value'}.`);
      }
      return write({ ...read(), ...parsed.data });
    },
    rememberFolder(folder) {
      const current = read();
      const recentFolders = [folder, ...current.recentFolders.filter((f) => f !== folder)].slice(0, maxRecent);
      write({ ...current, recentFolders, lastFolder: folder });
      if (recentFolders.join('\0') !== current.recentFolders.join('\0')) for (const listener of recentListeners) listener();
    },
    rememberMapping(folderId, mapping) {
      const parsed = labelMappingSchema.safeParse(mapping);
      // An invalid entry would make the whole field fall back to {} on the next read.
      if (!parsed.success) throw new AppFailure('invalid_input', `Invalid mapping: ${parsed.error.issues[0]?.message ?? 'bad value'}.`);
      const current = read();
      const others = Object.entries(current.groundTruthMappings).filter(([id]) => id !== folderId);
      const kept = Object.keys(parsed.data).length > 0 ? [[folderId, parsed.data] as const, ...others] : others;
      write({ ...current, groundTruthMappings: Object.fromEntries(kept.slice(0, maxGroundTruthMappings)) });
      return parsed.data;
    },
    rememberChosenFile(file) {
      const current = read();
      write({ ...current, chosenFiles: [file, ...current.chosenFiles.filter((f) => f !== file)].slice(0, 20) });
    },
    isChosenFile(file) {
      return read().chosenFiles.includes(file);
    },
    keyOrigins(profile) {
      return read().keyOrigins[profile] ?? [];
    },
    setKeyOrigins(profile, origins) {
      const current = read();
      const others = Object.entries(current.keyOrigins).filter(([name]) => name !== profile);
      const kept: Array<[string, string[]]> = origins.length > 0 ? [...others, [profile, [...origins]]] : others;
      write({ ...current, keyOrigins: Object.fromEntries(kept) });
    },
    onRecentChange(listener) {
      recentListeners.add(listener);
      return () => recentListeners.delete(listener);
    },
    getWindowState() {
      return read().window;
    },
    setWindowState(state) {
      const parsed = windowStateSchema.safeParse(state);
      if (!parsed.success) return; // a window smaller than the minimum is not worth remembering
      write({ ...read(), window: parsed.data });
    },
  };
}
