import { describe, expect, it } from 'vitest';
import { appError } from '../../../../app/errors';
import { normaliseSettings } from '../../../../app/settings';
import type { CredentialStatus } from '../../../../app/types';
import { SettingsStore } from '../../../../renderer/src/stores/settings.svelte';
import { fakeApi } from '../../../support/fake-api';

const keyStatus = (hasKey: boolean): CredentialStatus => ({ profile: 'default', hasKey, backend: 'keychain', ...(hasKey ? { last4: 'abcd' } : {}) });

describe('SettingsStore', () => {
  it('loads the settings and whether a key is stored', async () => {
    const api = fakeApi({ getSettings: () => normaliseSettings({ model: 'cats/2' }), credentialStatus: () => keyStatus(true) });
    const store = new SettingsStore(api);
    await store.load();
    expect(store.value?.model).toBe('cats/2');
    expect(store.credentials?.last4).toBe('abcd');
    expect(store.error).toBeNull();
  });

  it('shows why the settings could not be read, and still asks for the key status', async () => {
    const api = fakeApi({
      getSettings: () => Promise.reject(appError('internal', 'Settings file unreadable')),
      credentialStatus: () => keyStatus(false),
    });
    const store = new SettingsStore(api);
    await store.load();
    expect(store.value).toBeNull();
    expect(store.error?.message).toBe('Settings file unreadable');
    expect(store.credentials?.hasKey).toBe(false);
  });

  it('saves a change and shows the settings main stored; a refused save answers the error and keeps the old value', async () => {
    let stored = normaliseSettings({ threshold: 0.4 });
    const api = fakeApi({
      getSettings: () => stored,
      credentialStatus: () => keyStatus(false),
      setSettings: (patch) => {
        if (patch.model === 'bad') return Promise.reject(appError('invalid_input', 'A model is project/version'));
        stored = { ...stored, ...patch } as typeof stored;
        return stored;
      },
    });
    const store = new SettingsStore(api);
    await store.load();
    expect(await store.update({ threshold: 0.7 })).toBeNull();
    expect(store.value?.threshold).toBe(0.7);
    const refused = await store.update({ model: 'bad' });
    expect(refused).toEqual({ code: 'invalid_input', message: 'A model is project/version' });
    expect(store.value?.threshold).toBe(0.7);
    expect(store.value?.model).not.toBe('bad');
  });

  it('checks the stored key only when there is one, and a failed check stays quiet', async () => {
    const api = fakeApi({ credentialStatus: () => keyStatus(false), checkApiKey: () => ({ ...keyStatus(true), workspace: 'acme' }) });
    const store = new SettingsStore(api);
    await store.refreshCredentials();
    await store.probe();
    expect(api.requests('checkApiKey')).toHaveLength(0);

    api.handle('credentialStatus', () => keyStatus(true));
    await store.refreshCredentials();
    await store.probe();
    expect(store.credentials?.workspace).toBe('acme');

    api.handle('checkApiKey', () => Promise.reject(appError('network', 'offline')));
    await store.probe();
    expect(store.error).toBeNull();
    expect(store.credentials?.workspace).toBe('acme');
  });

  it('a credential action keeps the new key status, or answers its error', async () => {
    const store = new SettingsStore(fakeApi());
    expect(await store.credentialAction(() => Promise.resolve(keyStatus(true)))).toBeNull();
    expect(store.credentials?.hasKey).toBe(true);
    const error = await store.credentialAction(() => Promise.reject(appError('no_keychain', 'No keychain available')));
    expect(error?.code).toBe('no_keychain');
    expect(store.credentials?.hasKey).toBe(true);
  });

  it('"Check key" answers what the server said, or the error', async () => {
    const api = fakeApi({ checkKeyDraft: () => ({ server: 'platform', endpoint: 'https://api.roboflow.com', workspace: 'acme' }) });
    const store = new SettingsStore(api);
    const draft = { key: 'secret-key-1', endpointKind: 'serverless' as const, endpointUrl: '', model: 'cats/2' };
    expect(await store.checkDraft(draft)).toMatchObject({ workspace: 'acme' });
    api.handle('checkKeyDraft', () => Promise.reject(appError('unauthorized', 'The key was refused')));
    expect(await store.checkDraft(draft)).toEqual({ code: 'unauthorized', message: 'The key was refused' });
  });
});
