import { AppFailure } from '../../app/errors';
import type { KeyGate } from '../services/credentials';
import { createSettingsStore } from '../services/settings-store';

// The keychain's key for a command that was given none: loaded only when asked (keytar is a
// native addon), and sent only where it was entered for or to a URL named on this command line.
// infer, models pull and send share this one gate.

export interface KeychainKeyOptions {
  dataDir: string;
  profile: string;
  env: NodeJS.ProcessEnv;
  /** URLs named on this command line: the person's own choice, so the key may go there. */
  explicitUrls: string[];
}

export function keychainKeyGate(opts: KeychainKeyOptions): KeyGate {
  let gate: KeyGate | undefined;
  return async (url) => {
    if (!gate) {
      const { createCredentials } = await import('../services/credentials');
      const store = createSettingsStore({ dataDir: opts.dataDir });
      gate = createCredentials({
        profile: () => opts.profile,
        platform: () => ({ baseUrl: '', workspace: () => Promise.reject(new AppFailure('internal', 'Workspace lookup is not needed here.')) }),
        env: opts.env,
        origins: { get: (p) => store.keyOrigins(p), set: (p, origins) => store.setKeyOrigins(p, origins) },
        explicitUrls: opts.explicitUrls,
      }).apiKeyFor;
    }
    return gate(url);
  };
}
