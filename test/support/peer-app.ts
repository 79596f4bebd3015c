import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultPeerKey, startPeer, type Peer } from '../peer/server';
import { startApp, type App, type Emitted } from './app-harness';

// The app against the test peer for service tests that run models through `dispatch`: a temp dir,
// the peer, and the app set to the peer's self-hosted endpoint with colors/1 and a session key.
// The test keeps its own images and calls; close() stops the app, the peer and removes the dir.

export interface PeerApp {
  /** The temp dir (the app's data lives in <tmp>/data). */
  tmp: string;
  peer: Peer;
  /** Events of every app start() gave, in order. */
  events: Emitted;
  /** Starts the app again over the same data (after the last one was closed) and configures it. */
  start(): Promise<App>;
  close(): Promise<void>;
}

/** Makes a temp dir named `prefix…` and starts the peer; start() brings up the app. */
export async function startPeerApp(prefix: string): Promise<PeerApp> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const events: Emitted = [];
  let app: App | null = null;
  let peer: Peer;
  try {
    peer = await startPeer();
  } catch (error) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw error;
  }
  return {
    tmp,
    peer,
    events,
    async start() {
      app = await startApp({ dataDir: path.join(tmp, 'data'), events });
      await app.call('setSettings', { endpointKind: 'self-hosted', endpointUrl: peer.url, model: 'colors/1', concurrency: 2 });
      await app.call('setApiKey', { key: defaultPeerKey, sessionOnly: true });
      return app;
    },
    async close() {
      await app?.close();
      await peer.close();
      await fs.rm(tmp, { recursive: true, force: true });
    },
  };
}
