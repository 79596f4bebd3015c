import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { appError } from '../../../../app/errors';
import { normaliseSettings, type Settings, type SettingsPatch } from '../../../../app/settings';
import type { CredentialStatus } from '../../../../app/types';
import SettingsDialog from '../../../../renderer/src/components/SettingsDialog.svelte';
import { SettingsStore } from '../../../../renderer/src/stores/settings.svelte';
import { fakeApi, type FakeApi } from '../../../support/fake-api';

const withKey: CredentialStatus = { profile: 'default', hasKey: true, last4: 'wxyz', backend: 'keychain', workspace: 'acme' };

/** Main's settings and key, in memory; `refuse` makes the next setSettings fail. */
function settingsApi(): FakeApi & { stored: () => Settings } {
  let stored = normaliseSettings({ model: 'cats/2' });
  const api = fakeApi({
    getSettings: () => stored,
    setSettings: (patch) => {
      stored = normaliseSettings({ ...stored, ...patch });
      return stored;
    },
    credentialStatus: () => withKey,
    checkKeyDraft: () => ({ server: 'platform', endpoint: 'https://api.roboflow.com', workspace: 'acme' }),
    deleteApiKey: () => ({ profile: 'default', hasKey: false, backend: 'keychain' }),
    setApiKey: () => withKey,
    downloadedModels: () => [],
    listProjects: () => [],
  });
  return Object.assign(api, { stored: () => stored });
}

/** The dialog as App opens it: on the settings store, over the fake main. */
async function openSettings(api: FakeApi) {
  window.api = api;
  const store = new SettingsStore(api);
  await store.load();
  const onclose = vi.fn();
  render(SettingsDialog, {
    settings: store.value ?? normaliseSettings({}),
    credentials: store.credentials,
    onsave: (patch: SettingsPatch) => store.update(patch),
    onsetkey: (key: string, sessionOnly: boolean) => store.credentialAction(() => api.setApiKey({ key, sessionOnly })),
    oncheckkey: (draft: Parameters<SettingsStore['checkDraft']>[0]) => store.checkDraft(draft),
    onremovekey: () => store.credentialAction(() => api.deleteApiKey({})),
    listProjects: () => api.listProjects({}),
    listVersions: (project: string) => api.listVersions({ project }),
    onclose,
  });
  return { store, onclose };
}

describe('Settings dialog', () => {
  beforeEach(() => localStorage.clear());

  it('shows the saved key only as its last four characters', async () => {
    await openSettings(settingsApi());
    expect(screen.getByRole('dialog', { name: 'Settings' })).toBeVisible();
    expect(screen.getByText(/•••• wxyz — saved in the system keychain, workspace acme/)).toBeInTheDocument();
    expect(screen.getByLabelText('API key')).toHaveValue('');
  });

  it('Save stores the changed fields and closes', async () => {
    const api = settingsApi();
    const { onclose, store } = await openSettings(api);
    const user = userEvent.setup();
    await user.clear(screen.getByLabelText('Model'));
    await user.type(screen.getByLabelText('Model'), 'birds/7');
    await user.clear(screen.getByLabelText('Confidence threshold'));
    await user.type(screen.getByLabelText('Confidence threshold'), '65');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(onclose).toHaveBeenCalledOnce();
    expect(api.stored()).toMatchObject({ model: 'birds/7', threshold: 0.65 });
    expect(store.value?.model).toBe('birds/7');
  });

  it('a model not in project/version form is explained and cannot be saved', async () => {
    await openSettings(settingsApi());
    const user = userEvent.setup();
    await user.clear(screen.getByLabelText('Model'));
    await user.type(screen.getByLabelText('Model'), 'birds');
    expect(screen.getByText('Use the form project/version, e.g. birds/7.')).toBeInTheDocument();
    expect(screen.getByLabelText('Model')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('button', { name: 'Save' })).toBeDisabled();
  });

  it('a save main refuses shows its message and keeps the dialog open', async () => {
    const api = settingsApi();
    api.handle('setSettings', () => Promise.reject(appError('invalid_input', 'The settings file is read-only.')));
    const { onclose } = await openSettings(api);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByRole('alert')).toHaveTextContent('The settings file is read-only.');
    expect(onclose).not.toHaveBeenCalled();
  });

  it('Check key tells which workspace the key belongs to; a refused key says why', async () => {
    const api = settingsApi();
    await openSettings(api);
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Check key' }));
    expect(screen.getByRole('status')).toHaveTextContent('The key works: workspace acme.');

    api.handle('checkKeyDraft', () => Promise.reject(appError('unauthorized', 'Roboflow refused this key.')));
    await user.type(screen.getByLabelText('API key'), 'typed-key-123');
    await user.click(screen.getByRole('button', { name: 'Check key' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Roboflow refused this key.');
    expect(api.requests('checkKeyDraft').at(-1)).toMatchObject({ key: 'typed-key-123', model: 'cats/2' });
  });

  it('Remove key forgets the key and says so', async () => {
    const api = settingsApi();
    const { store } = await openSettings(api);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Remove key' }));
    expect(screen.getByRole('status')).toHaveTextContent('Key removed.');
    expect(store.credentials?.hasKey).toBe(false);
  });
});
