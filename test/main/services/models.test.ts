import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../main/handlers';
import { createCredentials, type CredentialsService } from '../../../main/services/credentials';
import { createModels, type ModelsService } from '../../../main/services/models';
import { createPlatformClient } from '../../../main/services/platform';
import { defaultPeerKey, startPeer, type Peer } from '../../peer/server';
import { startApp } from '../../support/app-harness';
import { closedPortUrl } from '../../support/net';
import { failure } from '../../support/app-failure';

// The model picker's service against the test peer's platform routes over loopback, with the real
// credentials service holding a session key (the keychain is not this test's subject, so keytar is
// reported missing, as on a machine without one).

let peer: Peer;
let closedUrl: string;

beforeAll(async () => {
  peer = await startPeer();
  closedUrl = await closedPortUrl();
});
afterAll(async () => {
  await peer.close();
});

function setup(opts: { key?: string; platformUrl?: () => string } = {}): { credentials: CredentialsService; models: ModelsService; calls: string[] } {
  const calls: string[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    calls.push(String(input));
    return fetch(input, init);
  };
  const platform = () => createPlatformClient({ baseUrl: opts.platformUrl?.() ?? peer.url, fetch: recordingFetch, timeoutMs: 5000 });
  const credentials = createCredentials({
    loadKeytar: () => Promise.reject(new Error('no keychain in this test')),
    profile: () => 'default',
    platform,
    env: {},
    // The key is entered for the peer (and, in the offline case, for the address that goes away).
    bindTo: () => [peer.url, closedUrl],
  });
  return { credentials, models: createModels({ credentials, platform }), calls };
}

describe('models', () => {
  it('lists only the classification projects of the key’s workspace, checking the key first', async () => {
    const { credentials, models, calls } = setup();
    await credentials.set(defaultPeerKey, true);
    const projects = await models.projects();
    expect(projects).toEqual([
      { id: 'colors', name: 'Colors', type: 'classification', versions: 2 },
      { id: 'colors-multi', name: 'Colors (multi-label)', type: 'multi-label-classification', versions: 1 },
    ]);
    // One workspace lookup (the check), then the projects of that workspace.
    expect(calls.map((u) => new URL(u).pathname)).toEqual(['/', '/test-workspace']);
    expect((await credentials.status()).workspace).toBe('test-workspace');
    expect(JSON.stringify(projects)).not.toContain(defaultPeerKey);

    await models.projects();
    expect(calls).toHaveLength(3); // the workspace is known now: no second check
  });

  it('lists a project’s versions newest first with their model id and whether they are trained', async () => {
    const { credentials, models } = setup();
    await credentials.set(defaultPeerKey, true);
    expect(await models.versions('colors')).toEqual([
      { id: 'test-workspace/colors/2', version: 2, model: 'colors/2', trained: false },
      { id: 'test-workspace/colors/1', version: 1, model: 'colors/1', trained: true },
    ]);
    const missing = await failure(models.versions('no-such-project'));
    expect(missing.code).toBe('not_found');
  });

  it('says what to do without a key, with a rejected key, and offline — never echoing the key', async () => {
    const none = setup();
    const noKey = await failure(none.models.projects());
    expect(noKey.code).toBe('no_key');
    expect(noKey.message).toMatch(/Settings/);
    expect(none.calls).toEqual([]);

    const wrongKey = 'rf_wrong_key_ZYXW98765';
    const rejected = setup();
    await rejected.credentials.set(wrongKey, true);
    const unauthorized = await failure(rejected.models.projects());
    expect(unauthorized.code).toBe('unauthorized');
    expect(unauthorized.message).not.toContain(wrongKey);

    let url = peer.url;
    const offline = setup({ platformUrl: () => url });
    await offline.credentials.set(defaultPeerKey, true);
    expect(await offline.models.projects()).toHaveLength(2);
    url = closedUrl; // the network goes away after the key was checked
    const network = await failure(offline.models.versions('colors'));
    expect(network.code).toBe('network');
    expect(network.message).toMatch(/project\/version/);
    expect(network.message).not.toContain(defaultPeerKey);
  });
});

describe('listProjects / listVersions channels', () => {
  it('answer through the composition root and the contract, and never carry the key', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-models-'));
    const app = await startApp({ dataDir });
    try {
      const { handlers } = app;
      expect(await dispatch(handlers, 'listProjects', {})).toMatchObject({ ok: false, error: { code: 'no_key' } });
      await dispatch(handlers, 'setSettings', { platformApiUrl: peer.url });
      await dispatch(handlers, 'setApiKey', { key: defaultPeerKey, sessionOnly: true });

      const projects = await dispatch(handlers, 'listProjects', {});
      expect(projects).toMatchObject({ ok: true, value: [{ id: 'colors' }, { id: 'colors-multi' }] });
      const versions = await dispatch(handlers, 'listVersions', { project: 'colors-multi' });
      expect(versions).toEqual({ ok: true, value: [{ id: 'test-workspace/colors-multi/1', version: 1, model: 'colors-multi/1', trained: true }] });
      expect(JSON.stringify([projects, versions])).not.toContain(defaultPeerKey);

      for (const project of ['../colors', 'colors/1', '']) {
        expect(await dispatch(handlers, 'listVersions', { project })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      }
    } finally {
      await app.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
