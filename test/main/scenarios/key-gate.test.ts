import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobProgress } from '../../../app/types';
import { dispatch } from '../../../main/handlers';
import { defaultPeerKey, startPeer, type Peer } from '../../peer/server';
import { startApp, type App } from '../../support/app-harness';
import { writeColourImages } from '../../support/colour-images';

// A key is bound to the servers it was entered for. A compromised page that repoints the endpoint
// and the platform API at its own listener (setSettings is open to it) must get nothing carrying
// the key; the person entering the key again for the new endpoint makes it work there.

const key = defaultPeerKey;
let tmp: string;
let folder: string;
let peer: Peer;
let newPeer: Peer;
let app: App;
let listener: http.Server;
let listenerUrl: string;
const heard: Array<{ method: string; url: string; authorization: string }> = [];

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-key-gate-'));
  folder = path.join(tmp, 'photos');
  await writeColourImages(folder, 3);
  peer = await startPeer();
  newPeer = await startPeer();
  // The attacker's listener records everything that reaches it.
  listener = http.createServer((req, res) => {
    heard.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization ?? '' });
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"who are you"}');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  app = await startApp({ dataDir: path.join(tmp, 'data') });
});

afterAll(async () => {
  await app?.close();
  await peer?.close();
  await newPeer?.close();
  await new Promise((resolve) => listener?.close(resolve));
  await fs.rm(tmp, { recursive: true, force: true });
});

const carriesKey = () => heard.filter((r) => `${r.url} ${r.authorization}`.includes(key));

async function failureOf(channel: string, payload: unknown = {}) {
  const answer = await dispatch(app.handlers, channel, payload);
  return answer.ok ? null : answer.error;
}

describe('the key gate', () => {
  it('sends nothing carrying the key to an endpoint or platform URL the page switched to', async () => {
    await app.call('setSettings', { endpointKind: 'self-hosted', endpointUrl: peer.url, platformApiUrl: peer.url, model: 'colors/1' });
    await app.call('setApiKey', { key, sessionOnly: true });
    const folderId = await app.open(folder);
    const first = await app.call<JobProgress>('startJob', { folderId });
    expect(await app.finished(first.jobId)).toMatchObject({ state: 'done', done: 3 });

    // The page repoints both URLs at its own listener, then asks main to use the key.
    await app.call('setSettings', { endpointUrl: listenerUrl, platformApiUrl: listenerUrl });
    const job = await failureOf('startJob', { folderId, force: true });
    expect(job?.code).toBe('key_not_for_endpoint');
    expect(job?.message).toContain(listenerUrl);
    expect(job?.message).toMatch(/enter the key again/i);
    expect((await failureOf('checkApiKey'))?.code).toBe('key_not_for_endpoint');
    expect((await failureOf('listProjects'))?.code).toBe('key_not_for_endpoint');
    expect((await failureOf('checkKeyDraft', {}))?.code).toBe('key_not_for_endpoint');
    expect((await failureOf('checkKeyDraft', { endpointKind: 'serverless' }))?.code).toBe('key_not_for_endpoint');
    expect((await failureOf('classifyUrls', { folderId, urls: ['https://images.example.com/a.jpg'] }))?.code).toBe('key_not_for_endpoint');
    // The keyless reachability probe may knock; nothing else may.
    await app.call('endpointStatus');
    expect(carriesKey()).toEqual([]);
    expect(heard.every((r) => r.method === 'HEAD' && r.authorization === '')).toBe(true);
  });

  it('works again once the person enters the key for the new endpoint', async () => {
    await app.call('setSettings', { endpointUrl: newPeer.url, platformApiUrl: newPeer.url });
    const folderId = await app.open(folder);
    expect((await failureOf('startJob', { folderId, force: true }))?.code).toBe('key_not_for_endpoint');
    expect(newPeer.stats.keysSeen.size).toBe(0);

    await app.call('setApiKey', { key, sessionOnly: true });
    const job = await app.call<JobProgress>('startJob', { folderId, force: true });
    expect(await app.finished(job.jobId)).toMatchObject({ state: 'done', done: 3 });
    expect(newPeer.stats.keysSeen.has(key)).toBe(true);
    expect(await app.call('checkApiKey')).toMatchObject({ workspace: 'test-workspace' });
    // Entered again with the same key, it still works where it was entered before.
    await app.call('setSettings', { endpointUrl: peer.url, platformApiUrl: peer.url });
    expect(await app.call('checkApiKey')).toMatchObject({ workspace: 'test-workspace' });
  });

  it('asks the person (a native dialog in Electron) before sending the key to a new origin', async () => {
    const asked: string[] = [];
    let answer = false;
    const withDialog = await startApp({
      dataDir: path.join(tmp, 'data-dialog'),
      dialogs: { pickFolder: async () => null, pickFile: async () => null, pickExportPath: async () => null, confirmKeySend: async (origin) => (asked.push(origin), answer) },
    });
    try {
      await withDialog.call('setSettings', { platformApiUrl: peer.url });
      await withDialog.call('setApiKey', { key, sessionOnly: true });
      await withDialog.call('setSettings', { platformApiUrl: newPeer.url });
      const refused = await dispatch(withDialog.handlers, 'checkApiKey', {});
      expect(refused).toMatchObject({ ok: false, error: { code: 'key_not_for_endpoint' } });
      expect(asked).toEqual([newPeer.url]);
      answer = true;
      expect(await withDialog.call('checkApiKey')).toMatchObject({ workspace: 'test-workspace' });
      // Allowed once, remembered: no second question.
      expect(await withDialog.call('checkApiKey')).toMatchObject({ workspace: 'test-workspace' });
      expect(asked).toEqual([newPeer.url, newPeer.url]);
    } finally {
      await withDialog.close();
    }
  });
});
