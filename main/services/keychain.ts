// The OS keychain through the keytar API (@github/keytar: GitHub's maintained fork, prebuilt N-API
// binaries inside the package, no download or compiler at install). The native module is loaded on
// first use, not at import, so a machine whose keychain or libsecret is broken still starts; every
// failure is turned into a `KeychainUnavailable` carrying a plain problem text with the remedy.

import { redactSecrets } from './redact';

/** The part of keytar's API we use. */
export interface KeytarApi {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

export type LoadKeytar = () => Promise<KeytarApi>;

export interface Keychain {
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  remove(account: string): Promise<boolean>;
  /** Account names only; the secrets found along the way are dropped at once. */
  accounts(): Promise<string[]>;
}

/** The keychain cannot be used; `problem` says why and what to do, and never holds a secret. */
export class KeychainUnavailable extends Error {
  readonly problem: string;
  constructor(problem: string) {
    super(problem);
    this.name = 'KeychainUnavailable';
    this.problem = problem;
  }
}

export const keychainRemedy =
  'Install and unlock GNOME Keyring or KWallet (Linux), or keep the key for this session only.';

/** Loads @github/keytar. A dynamic import keeps the native module out of the start-up path. */
export const loadGithubKeytar: LoadKeytar = async () => {
  const mod = (await import('@github/keytar')) as unknown as KeytarApi & { default?: KeytarApi };
  const api = mod.default ?? mod;
  if (typeof api.getPassword !== 'function') throw new Error('the keytar module has no getPassword');
  return api;
};

const patterns: Array<[RegExp, string]> = [
  [/autolaunch D-Bus|DBUS_SESSION_BUS_ADDRESS|Could not connect|Failed to connect to socket/i,
    'No desktop session bus (D-Bus) is running, so the system keychain cannot be reached.'],
  [/org\.freedesktop\.secrets|ServiceUnknown|not provided by any \.service files/i,
    'No Secret Service (org.freedesktop.secrets) is running on the session bus.'],
  [/locked collection|is locked|unlock/i, 'The system keychain is locked.'],
  [/Object does not exist at path|collection\/login|No such (object|collection)/i,
    'The system keychain has no default keyring, and none could be created without a desktop prompt.'],
  [/native addon|keytar\.node|cannot open shared object|libsecret|Cannot find module|ERR_DLOPEN|invalid ELF/i,
    'The keychain library could not be loaded on this system.'],
];

/** A problem text with the remedy for any keychain failure; known causes get a specific first sentence. */
export function describeKeychainFailure(error: unknown, secrets: readonly string[] = []): string {
  const message = error instanceof Error ? error.message : String(error);
  for (const [pattern, text] of patterns) if (pattern.test(message)) return `${text} ${keychainRemedy}`;
  // Unknown causes keep the library's own words (redacted, short) so a bug report says something.
  const detail = redactSecrets(message, secrets).replace(/\s+/g, ' ').slice(0, 160);
  return `The system keychain failed (${detail}). ${keychainRemedy}`;
}

/**
 * A keychain on the keytar API under one service name. Each call loads the module on demand
 * (a failed load is retried next time: the user may have installed the library meanwhile).
 */
export function createKeychain(opts: { service: string; load?: LoadKeytar }): Keychain {
  const load = opts.load ?? loadGithubKeytar;
  let loaded: KeytarApi | null = null;

  async function run<T>(op: (api: KeytarApi) => Promise<T>, secrets: readonly string[] = []): Promise<T> {
    try {
      loaded ??= await load();
      return await op(loaded);
    } catch (error) {
      throw new KeychainUnavailable(describeKeychainFailure(error, secrets));
    }
  }

  return {
    get: (account) => run((api) => api.getPassword(opts.service, account)),
    set: (account, secret) => run((api) => api.setPassword(opts.service, account, secret), [secret]),
    remove: (account) => run((api) => api.deletePassword(opts.service, account)),
    accounts: () =>
      run(async (api) => {
        const found = await api.findCredentials(opts.service);
        return [...new Set(found.map((c) => c.account))].sort();
      }),
  };
}
