import { AppFailure } from '../../app/errors';
import type { CredentialStatus } from '../../app/types';
import type { Ports } from '../handlers';
import { createKeychain, keychainRemedy, KeychainUnavailable, type LoadKeytar } from './keychain';
import { redactSecrets } from './redact';

// Roboflow API keys, one per profile (keychain account = profile name). The key lives in the OS
// keychain, or in this process's memory when the user asks for "this session only"; it leaves this
// module only through apiKey(), which the job runner calls when a job starts. Everything else
// returns a CredentialStatus (last four characters at most). There is deliberately no plain-text
// fallback: without a keychain the user is told so and may keep the key for the session.

export const keychainService = 'Classify Desk';

export const noKeychainMessage = `No system keychain is available. ${keychainRemedy}`;
export const noKeyMessage = 'No API key is set. Open Settings and enter your Roboflow API key.';

/** What credentials need from the platform client (main/services/platform.ts). */
export interface WorkspaceLookup {
  workspace(key: string): Promise<string>;
}

type CredentialsPort = Ports['credentials'];

export interface CredentialsService extends CredentialsPort {
  /** The key for the current profile, read fresh when a job starts; throws AppFailure('no_key'). */
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

  function validated(raw: string): string {
    const key = raw.trim();
    if (key.length < minKeyLength || key.length > 256 || /\s/.test(key)) {
      throw new AppFailure('invalid_input', 'That does not look like a Roboflow API key: paste the key from your workspace settings (no spaces).');
    }
    return key;
  }

  async function apiKey(): Promise<string> {
    const profile = opts.profile();
    const inMemory = session.get(profile);
    if (inMemory) return inMemory;
    const stored = await readKeychain(profile);
    if (stored) return stored;
    const fromEnv = envKey();
    if (fromEnv) return fromEnv;
    throw new AppFailure('no_key', problem ? `${noKeyMessage} ${problem}` : noKeyMessage);
  }

  return {
    async status() {
      const profile = opts.profile();
      if (problem === undefined || (problem === null && !seen.has(profile))) await readKeychain(profile);
      return describe(profile);
    },

    async set(raw, sessionOnly) {
      const profile = opts.profile();
      const key = validated(raw);
      workspaces.delete(profile);
      if (sessionOnly) {
        session.set(profile, key);
        return describe(profile);
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
      seen.set(profile, { hasKey: true, last4: lastFour(key) });
      return describe(profile);
    },

    async remove() {
      const profile = opts.profile();
      session.delete(profile);
      workspaces.delete(profile);
      try {
        await keychain.remove(profile);
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
      const key = await apiKey();
      try {
        workspaces.set(profile, await opts.platform().workspace(key));
      } catch (error) {
        workspaces.delete(profile);
        throw platformFailure(error, key);
      }
      return describe(profile);
    },

    apiKey,

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

/** Maps a platform-client failure to an AppFailure whose message cannot carry the key. */
function platformFailure(error: unknown, key: string): AppFailure {
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
