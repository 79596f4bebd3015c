import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentials, keychainService, noKeychainMessage, type WorkspaceLookup } from '../../../main/services/credentials';
import type { KeytarApi } from '../../../main/services/keychain';
import { createPlatformClient } from '../../../main/services/platform';
import { defaultPeerKey, startPeer, type Peer } from '../../peer/server';
import { startKeyring, withoutSessionBus, type Keyring } from '../../support/keyring';
import { useProcessEnv } from '../../support/process-env';
import { failure } from '../../support/app-failure';

// Against the real Secret Service (gnome-keyring on a private D-Bus session) and the real keytar.
// The "no session bus" cases run first: GDBus keeps the first bus it connects to for the process.

const key = 'rf_creds_test_key_ABCDEFGH1234';
const otherKey = 'rf_other_profile_key_WXYZ9876';
const unusedPlatform = (): WorkspaceLookup => ({
  baseUrl: 'https://api.roboflow.com',
  workspace: () => Promise.reject(new Error('the platform is not used in this test')),
});

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'cd-creds-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('without a session bus', () => {
  useProcessEnv(async () => withoutSessionBus(process.env, await mkdtemp(path.join(scratch, 'run-'))));

  it('reports the keychain unavailable with the remedy, refuses to store, and keeps a session key', async () => {
    const creds = createCredentials({ profile: () => 'default', platform: unusedPlatform, env: {} });
    const status = await creds.status();
    expect(status).toMatchObject({ profile: 'default', hasKey: false, backend: 'unavailable' });
    expect(status.problem).toMatch(/D-Bus/);
    expect(status.problem).toMatch(/GNOME Keyring or KWallet/);

    const refused = await failure(creds.set(key, false));
    expect(refused.code).toBe('no_keychain');
    expect(refused.message).toBe(noKeychainMessage);
    expect((await failure(creds.apiKey())).code).toBe('no_key');

    const session = await creds.set(key, true);
    expect(session).toMatchObject({ hasKey: true, last4: '1234', backend: 'session' });
    expect(JSON.stringify(session)).not.toContain(key.slice(0, -4));
    expect(await creds.apiKey()).toBe(key);

    expect(await creds.remove()).toMatchObject({ hasKey: false, backend: 'unavailable' });
    expect((await failure(creds.apiKey())).code).toBe('no_key');
  });

  it('classifies a native module that fails to load as unavailable, and retries the load later', async () => {
    const broken = path.join(scratch, 'keytar.node');
    await writeFile(broken, 'not a shared object');
    const require = createRequire(import.meta.url);
    let loads = 0;
    const creds = createCredentials({
      profile: () => 'default',
      platform: unusedPlatform,
      loadKeytar: async () => {
        loads += 1;
        return require(broken) as KeytarApi;
      },
    });
    const status = await creds.status();
    expect(status.backend).toBe('unavailable');
    expect(status.problem).toMatch(/could not be loaded.*GNOME Keyring or KWallet/);
    // The classification is cached for status(); an explicit action probes again.
    await creds.status();
    expect(loads).toBe(1);
    expect((await failure(creds.set(key, false))).code).toBe('no_keychain');
    expect(loads).toBe(2);
  });
});

describe('against gnome-keyring on a private session bus', () => {
  let keyring: Keyring;
  let profile = 'default';
  const creds = () => createCredentials({ profile: () => profile, platform: unusedPlatform, env: {} });
  const lookup = (account: string) =>
    spawnSync('secret-tool', ['lookup', 'service', keychainService, 'account', account], {
      env: { ...process.env, ...keyring.env },
      encoding: 'utf8',
    });

  beforeAll(async () => {
    keyring = await startKeyring();
    Object.assign(process.env, keyring.env);
  });
  afterAll(async () => {
    await keyring?.stop();
  });

  it('stores, reports and removes the key under service "Classify Desk", account = profile', async () => {
    profile = 'default';
    const service = creds();
    expect(await service.status()).toEqual({ profile: 'default', hasKey: false, backend: 'keychain' });

    const stored = await service.set(`  ${key}\n`, false);
    expect(stored).toEqual({ profile: 'default', hasKey: true, last4: '1234', backend: 'keychain' });
    expect(lookup('default').stdout).toBe(key);

    // A fresh service (a new app start) finds it in the keychain.
    const later = creds();
    expect(await later.status()).toEqual({ profile: 'default', hasKey: true, last4: '1234', backend: 'keychain' });
    expect(await later.apiKey()).toBe(key);

    expect(await later.remove()).toEqual({ profile: 'default', hasKey: false, backend: 'keychain' });
    expect(lookup('default').stdout).toBe('');
    expect((await failure(later.apiKey())).message).toBe('No API key is set. Open Settings and enter your Roboflow API key.');
  });

  it('keeps one key per profile and lists the profiles', async () => {
    const service = creds();
    profile = 'personal';
    await service.set(key, false);
    profile = 'work';
    await service.set(otherKey, false);
    expect(await service.status()).toMatchObject({ profile: 'work', last4: '9876' });
    expect(await service.apiKey()).toBe(otherKey);
    profile = 'personal';
    expect(await service.apiKey()).toBe(key);
    expect(await service.listProfiles()).toEqual(['personal', 'work']);
    expect(lookup('work').stdout).toBe(otherKey);

    await service.remove();
    expect(lookup('personal').stdout).toBe('');
    expect(lookup('work').stdout).toBe(otherKey);
    profile = 'work';
    await service.remove();
  });

  it('keeps a session-only key out of the keychain, and lets it win over a stored one', async () => {
    profile = 'default';
    const service = creds();
    await service.set(otherKey, false);
    expect(await service.set(key, true)).toMatchObject({ backend: 'session', last4: '1234', hasKey: true });
    expect(await service.apiKey()).toBe(key);
    expect(lookup('default').stdout).toBe(otherKey);
    await service.remove();
    expect(lookup('default').stdout).toBe('');
    expect(await service.status()).toEqual({ profile: 'default', hasKey: false, backend: 'keychain' });
  });

  it('rejects text that is not a key without echoing it', async () => {
    const service = creds();
    const refused = await failure(service.set('two words here', false));
    expect(refused.code).toBe('invalid_input');
    expect(refused.message).not.toContain('two words');
    expect(lookup('default').stdout).toBe('');
  });

  describe('checking the key with the platform API', () => {
    let peer: Peer;
    let baseUrl = '';
    beforeAll(async () => {
      peer = await startPeer();
      baseUrl = peer.url;
    });
    afterAll(async () => {
      await peer?.close();
    });
    const checking = (env: NodeJS.ProcessEnv = {}) =>
      createCredentials({ profile: () => 'checked', platform: () => createPlatformClient({ baseUrl }), env, bindTo: () => [baseUrl] });

    it('names the workspace of a good key and remembers it (not the key) for status', async () => {
      const service = checking();
      await service.set(defaultPeerKey, false);
      expect(await service.check()).toEqual({ profile: 'checked', hasKey: true, last4: '6789', backend: 'keychain', workspace: 'test-workspace' });
      expect(await service.status()).toMatchObject({ workspace: 'test-workspace' });
      // A new key forgets the old workspace until it is checked.
      await service.set(key, true);
      expect((await service.status()).workspace).toBeUndefined();
      await service.remove();
    });

    it('says a rejected key is unauthorized, without the key, although the server echoes it', async () => {
      const service = checking();
      await service.set(key, false);
      const rejected = await failure(service.check());
      expect(rejected.code).toBe('unauthorized');
      expect(rejected.message).not.toContain(key);
      expect(JSON.stringify(rejected)).not.toContain(key.slice(0, -4));
      expect((await service.status()).workspace).toBeUndefined();
      await service.remove();
    });

    it('says offline when the platform cannot be reached, and no_key when there is nothing to check', async () => {
      const service = checking();
      expect((await failure(service.check())).code).toBe('no_key');
      const closed = await startPeer();
      baseUrl = closed.url;
      await closed.close();
      try {
        await service.set(defaultPeerKey, true);
        expect((await failure(service.check())).code).toBe('network');
      } finally {
        baseUrl = peer.url;
      }
    });

    it('falls back to ROBOFLOW_API_KEY for jobs only when neither the session nor the keychain has a key', async () => {
      const service = checking({ ROBOFLOW_API_KEY: defaultPeerKey });
      expect(await service.status()).toMatchObject({ hasKey: true, last4: '6789', backend: 'session' });
      expect(await service.apiKey()).toBe(defaultPeerKey);
      await service.set(key, false);
      expect(await service.apiKey()).toBe(key);
      await service.remove();
      expect(await service.apiKey()).toBe(defaultPeerKey);
    });
  });
});
