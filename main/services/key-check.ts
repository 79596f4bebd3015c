import { AppFailure } from '../../app/errors';
import { endpointBase, type EndpointKind, type Settings } from '../../app/settings';
import type { KeyCheck } from '../../app/types';
import { platformFailure, validatedKey, type KeyGate } from './credentials';
import { checkKeyAtEndpoint } from './endpoint-status';
import { originOf } from './key-origins';
import { createPlatformClient } from './platform';

// "Check key" in Settings: checks a key against what the person is configuring, before Save, and
// stores nothing. A self-hosted endpoint is asked itself (the inference route answers 401 to a
// refused key); the Roboflow endpoints are checked with the platform API's workspace lookup. A
// draft key typed in the dialog is used as given (the page knows it already); without one, the
// stored key must pass the key gate for the server asked.

export interface KeyCheckDraft {
  /** The key typed in the dialog, not saved; absent = the stored key. */
  key?: string;
  endpointKind?: EndpointKind;
  endpointUrl?: string;
  model?: string;
}

export interface KeyCheckOptions {
  apiKeyFor: KeyGate;
  settings: { get(): Settings };
  fetch?: typeof fetch;
}

export function createKeyCheck(opts: KeyCheckOptions): (draft: KeyCheckDraft) => Promise<KeyCheck> {
  return async (draft) => {
    const saved = opts.settings.get();
    const endpointKind = draft.endpointKind ?? saved.endpointKind;
    if (endpointKind === 'self-hosted') {
      const base = endpointBase({ endpointKind, endpointUrl: draft.endpointUrl ?? saved.endpointUrl });
      const origin = originOf(base);
      if (!origin) throw new AppFailure('invalid_input', 'Enter the self-hosted endpoint URL first (for example http://localhost:9001), then check the key.');
      const key = draft.key !== undefined ? validatedKey(draft.key) : await opts.apiKeyFor(base);
      await checkKeyAtEndpoint({ baseUrl: base, key, model: draft.model ?? saved.model, fetch: opts.fetch });
      return { server: 'inference', endpoint: origin };
    }
    const platform = createPlatformClient({ baseUrl: saved.platformApiUrl, fetch: opts.fetch });
    const key = draft.key !== undefined ? validatedKey(draft.key) : await opts.apiKeyFor(platform.baseUrl);
    try {
      const workspace = await platform.workspace(key);
      return { server: 'platform', endpoint: originOf(platform.baseUrl) ?? platform.baseUrl, workspace };
    } catch (error) {
      throw platformFailure(error, key);
    }
  };
}
