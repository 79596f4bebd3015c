import { AppFailure } from '../../app/errors';
import type { CredentialStatus } from '../../app/types';
import type { Ports } from '../ports';
import { bindableOrigins, keyAllowedAt, originOf } from './key-origins';
import { createKeychain, keychainRemedy, KeychainUnavailable, type LoadKeytar } from './keychain';
import { redactSecrets } from './redact';

// Roboflow API keys, one per profile (keychain account = profile name). The key lives in the OS
// keychain, or in this process's memory when the user asks for "this session only"; it leaves this
// module through apiKeyFor(url), the one gate every use of the key for a URL passes: the key is
// bound to the origins it was entered for (key-origins.ts), so a page that repoints the endpoint
// cannot have the key sent elsewhere. (apiKey() without a URL serves only the CLI, whose
// --api-url is the person's own explicit choice.) Everything else
// returns a CredentialStatus (last four characters at most). There is deliberately no plain-text
// fallback: without a keychain the user is told so and may keep the key for the session.

export const keychainService = 'Classify Desk';

export const noKeychainMessage = `No system keychain is available. ${keychainRemedy}`;
export const noKeyMessage = 'No API key is set. Open Settings and enter your Roboflow API key.';

/** What credentials need from the platform client (main/services/platform.ts). */
export interface WorkspaceLookup {
  /** Where the lookup goes: the key passes the gate for this URL first. */
  readonly baseUrl: string;
  workspace(key: string): Promise<string>;
}

/** Where each profile's key may be sent (origins are not secret: the settings file keeps them). */
export interface KeyOriginStore {
  get(profile: string): string[];
  set(profile: string, origins: string[]): void;
}

/** The gate: the key for the current profile, if it may be sent to `url`; else throws `key_not_for_endpoint`. */
export type KeyGate = (url: string) => Promise<string>;

export function keyNotForEndpointMessage(url: string): string {
  const origin = originOf(url);
  if (!origin) return `"${url.slice(0, 200)}" is not an http(s) address, so your Roboflow API key was not sent there. Fix the URL in Settings.`;
  return `Your Roboflow API key was entered for other servers, so it was not sent to ${origin}. If you trust ${origin}, enter the key again in Settings together with this endpoint (or run \`classify-desk login --api-url ${origin}\`).`;
}

type CredentialsPort = Omit<Ports['credentials'], 'checkDraft'>;

export interface CredentialsService extends CredentialsPort {
  /** THE key gate: the current profile's key, only when it may be sent to `url` (its origin is one
   *  the key was entered for, or Roboflow's); otherwise asks `confirmSend` (Electron's native
   *  dialog) or throws AppFailure('key_not_for_endpoint'). Every client that sends the key calls it. */
  apiKeyFor: KeyGate;
  /** The key without a destination check: only for a URL the person named explicitly (CLI --api-url). */
  apiKey(): Promise<string>;
}

export interface CredentialsOptions {
  loadKeytar?: LoadKeytar;
  profile: () => string;
  platform: () => WorkspaceLookup;
  /** ROBOFLOW_API_KEY here is the last fallback of apiKey(), after the session and the keychain. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to process.platform; decides whether listing the keychain is safe (see listProfiles). */
  os?: NodeJS.Platform;
  /** Where keychain keys' origins are kept (default: memory only). */
  origins?: KeyOriginStore;
  /** The URLs a key entered now is for (the settings' endpoint and platform API at that moment). */
  bindTo?: () => string[];
  /** Asks the person whether the key may go to `origin` (a native dialog); absent = never. */
  confirmSend?: (origin: string) => Promise<boolean>;
  /** URLs the person named for this run (CLI --api-url / --platform-url): allowed, not remembered. */
  explicitUrls?: readonly string[];
}

const minKeyLength = 8;

/** The last four characters, only for keys long enough that four characters give little away. */
export function lastFour(key: string): string | undefined {
  return key.length >= minKeyLength ? key.slice(-4) : undefined;
}

export function createCredentials(opts: CredentialsOptions): CredentialsService {
  const keychain = createKeychain({ service: keychainService, load: opts.loadKeytar });
  const session = new Map<string, string>();
  // What the keychain held per profile at the last look: no secret, only whether and its last4.
  const seen = new Map<string, { hasKey: boolean; last4?: string }>();
  const workspaces = new Map<string, string>();
  // undefined = never probed; null = working; string = why it is unavailable (cached until the user acts).
  let problem: string | null | undefined;
  // libsecret lets keytar's findCredentials crash the process on locked items, so listing waits
  // until a read or write proved the keyring unlocked.
  let provenUnlocked = false;

  const envKey = (): string | undefined => opts.env?.ROBOFLOW_API_KEY?.trim() || undefined;
  const memoryOrigins = new Map<string, string[]>();
  const keychainOrigins: KeyOriginStore = opts.origins ?? {
    get: (profile) => memoryOrigins.get(profile) ?? [],
    set: (profile, origins) => void memoryOrigins.set(profile, origins),
  };
  // Session-only and environment keys: bound in memory, like the keys themselves.
  const sessionOrigins = new Map<string, string[]>();
  const asking = new Map<string, Promise<boolean>>();
  const envOrigins = new Map<string, string[]>();

  async function readKeychain(profile: string): Promise<string | null> {
    try {
      const value = await keychain.get(profile);
      problem = null;
      seen.set(profile, { hasKey: value !== null, last4: value ? lastFour(value) : undefined });
      if (value) provenUnlocked = true;
      return value;
    } catch (error) {
      if (!(error instanceof KeychainUnavailable)) throw error;
      problem = error.problem;
      seen.delete(profile);
      return null;
    }
  }

  function describe(profile: string): CredentialStatus {
    const base = { profile, ...(workspaces.has(profile) ? { workspace: workspaces.get(profile) } : {}) };
    const problemField = problem ? { problem } : {};
    const inMemory = session.get(profile);
    if (inMemory) return { ...base, hasKey: true, last4: lastFour(inMemory), backend: 'session', ...problemField };
    const stored = problem ? undefined : seen.get(profile);
    if (stored?.hasKey) return { ...base, hasKey: true, last4: stored.last4, backend: 'keychain' };
    const fromEnv = envKey();
    if (fromEnv) return { ...base, hasKey: true, last4: lastFour(fromEnv), backend: 'session', ...problemField };
    return { profile, hasKey: false, backend: problem ? 'unavailable' : 'keychain', ...problemField };
  }

  type Source = { key: string; bound: KeyOriginStore };
  const sessionStore: KeyOriginStore = { get: (p) => sessionOrigins.get(p) ?? [], set: (p, o) => void sessionOrigins.set(p, o) };
  const envStore: KeyOriginStore = { get: (p) => envOrigins.get(p) ?? [], set: (p, o) => void envOrigins.set(p, o) };

  async function currentKey(profile: string): Promise<Source> {
    const inMemory = session.get(profile);
    if (inMemory) return { key: inMemory, bound: sessionStore };
    const stored = await readKeychain(profile);
    if (stored) return { key: stored, bound: keychainOrigins };
    const fromEnv = envKey();
    if (fromEnv) return { key: fromEnv, bound: envStore };
    throw new AppFailure('no_key', problem ? `${noKeyMessage} ${problem}` : noKeyMessage);
  }

  async function apiKey(): Promise<string> {
    return (await currentKey(opts.profile())).key;
  }

  async function apiKeyFor(url: string): Promise<string> {
    const profile = opts.profile();
    const { key, bound } = await currentKey(profile);
    const origins = bound.get(profile);
    if (keyAllowedAt([...origins, ...bindableOrigins(opts.explicitUrls ?? [])], url)) return key;
    const origin = originOf(url);
    if (origin && opts.confirmSend) {
      // Jobs that start together (a run, a comparison, web images) share one question per origin.
      let question = asking.get(origin);
      if (!question) {
        question = opts.confirmSend(origin).finally(() => asking.delete(origin));
        asking.set(origin, question);
      }
      if (await question) {
        bound.set(profile, bindableOrigins([...bound.get(profile), origin]));
        return key;
      }
    }
    throw new AppFailure('key_not_for_endpoint', keyNotForEndpointMessage(url));
  }

  return {
    async status() {
      const profile = opts.profile();
      if (problem === undefined || (problem === null && !seen.has(profile))) await readKeychain(profile);
      return describe(profile);
    },

    async set(raw, sessionOnly) {
      const profile = opts.profile();
      const key = validatedKey(raw);
      workspaces.delete(profile);
      const origins = bindableOrigins(opts.bindTo?.() ?? []);
      if (sessionOnly) {
        // The same key entered again for another endpoint keeps the servers it was already for.
        const again = session.get(profile) === key ? sessionStore.get(profile) : [];
        session.set(profile, key);
        sessionStore.set(profile, bindableOrigins([...again, ...origins]));
        return describe(profile);
      }
      // Whether this is the stored key again (then it keeps the servers it was entered for); the
      // keychain is read only when the last four characters say it may be.
      let previous: string | null = null;
      const known = seen.get(profile);
      if (known?.hasKey && known.last4 === lastFour(key)) {
        try {
          previous = await keychain.get(profile);
        } catch {
          // An unreadable keychain is reported by the write below.
        }
      }
      try {
        await keychain.set(profile, key);
      } catch (error) {
        if (!(error instanceof KeychainUnavailable)) throw error;
        problem = error.problem;
        throw new AppFailure('no_keychain', noKeychainMessage);
      }
      problem = null;
      provenUnlocked = true;
      session.delete(profile);
      sessionOrigins.delete(profile);
      keychainOrigins.set(profile, bindableOrigins([...(previous === key ? keychainOrigins.get(profile) : []), ...origins]));
      seen.set(profile, { hasKey: true, last4: lastFour(key) });
      return describe(profile);
    },

    async remove() {
      const profile = opts.profile();
      session.delete(profile);
      sessionOrigins.delete(profile);
      workspaces.delete(profile);
      try {
        await keychain.remove(profile);
        keychainOrigins.set(profile, []);
        problem = null;
        seen.set(profile, { hasKey: false });
      } catch (error) {
        if (!(error instanceof KeychainUnavailable)) throw error;
        problem = error.problem;
      }
      return describe(profile);
    },

    async check() {
      const profile = opts.profile();
      const platform = opts.platform();
      const key = await apiKeyFor(platform.baseUrl);
      try {
        workspaces.set(profile, await platform.workspace(key));
      } catch (error) {
        workspaces.delete(profile);
        throw platformFailure(error, key);
      }
      return describe(profile);
    },

    apiKey,
    apiKeyFor,

    async listProfiles() {
      const names = new Set<string>([opts.profile(), ...session.keys()]);
      if ((opts.os ?? process.platform) !== 'linux' || provenUnlocked) {
        try {
          for (const account of await keychain.accounts()) names.add(account);
        } catch (error) {
          if (!(error instanceof KeychainUnavailable)) throw error;
          problem = error.problem;
        }
      }
      return [...names].sort();
    },
  };
}

/** The key as typed, trimmed; throws invalid_input (without echoing it) when it cannot be a key. */
export function validatedKey(raw: string): string {
  const key = raw.trim();
  if (key.length < minKeyLength || key.length > 256 || /\s/.test(key)) {
    throw new AppFailure('invalid_input', 'That does not look like a Roboflow API key: paste the key from your workspace settings (no spaces).');
  }
  return key;
}

/** Maps a platform-client failure to an AppFailure whose message cannot carry the key. */
export function platformFailure(error: unknown, key: string): AppFailure {
  if (error instanceof AppFailure) return new AppFailure(error.code, redactSecrets(error.message, [key]));
  const name = error instanceof Error ? error.name : '';
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new AppFailure('timeout', 'Roboflow did not answer in time. Check your connection and try again.');
  }
  if (error instanceof TypeError) {
    return new AppFailure('network', 'Could not reach Roboflow to check the key. Check your internet connection (or the platform API URL in Settings) and try again.');
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AppFailure('bad_response', `Checking the key failed: ${redactSecrets(message, [key]).slice(0, 200)}`);
}
